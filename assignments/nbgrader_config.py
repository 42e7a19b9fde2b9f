# nbgrader configuration of the course folder: run every nbgrader command from this directory
# (assignments/). See book/instructors.md for the workflow. CourseDirectory.root is deliberately unset:
# it defaults to the current directory, so the folder works wherever it is cloned.
c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "rnn-variants"

# The gradebook is nbgrader's default SQLite file, gradebook.db, next to this file (git-ignored).

# Autograding: every cell of a submission gets at most this many seconds; a cell that runs longer
# (an infinite loop) is interrupted, its tests score 0 and grading goes on with the next submission.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# `nbgrader zip_collect <id>` reads submissions downloaded from a learning platform, in
# downloaded/<id>/archive/, named "<student id>--<notebook>.ipynb" (or zip files of such files).
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.zipcollect.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/]+?)--(?P<file_id>[^/]+\.ipynb)$"
