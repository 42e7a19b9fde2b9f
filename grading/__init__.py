"""Grading the course's nbgrader assignments so that a submission cannot forge, crash or read around it.

``python -m grading`` (or ``make grade``) grades every submission in ``assignments/submitted/``. The
student's code runs in a sandboxed process (:mod:`grading.sandbox`, :mod:`grading.worker`) and only sends
back plain data (:mod:`grading.wire`); the tests, the expected values and the verdict live in a judge
process the submission never touches (:mod:`grading.judge`); the batch (:mod:`grading.batch`) records the
scores in nbgrader's gradebook and writes feedback, ``grades.csv`` and reports (:mod:`grading.report`).
``assignments/README.md`` is the instructor's specification.
"""
