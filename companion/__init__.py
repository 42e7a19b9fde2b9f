"""companion: recurrent networks by hand, in numpy.

The course's package: Elman (and IRNN), Jordan, LSTM and GRU networks (deep and bidirectional) with forward passes and
exact backpropagation through time written out by hand, the pieces to train them, the tasks the chapters
use, and a gradient checker. Only numpy is needed; the figures live in the submodules
:mod:`companion.diagrams` and :mod:`companion.plots` (matplotlib), imported on demand.

Examples
--------
>>> import numpy as np
>>> import companion
>>> rnn = companion.LSTM(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, seed=0)
>>> out, (h_n, c_n) = rnn.forward(np.zeros((5, 2, 3)))  # x: (T, B, D)
>>> out.shape, h_n.shape
((5, 2, 8), (4, 2, 4))
"""
from companion.elman import *  # noqa: F401,F403
from companion.gradcheck import *  # noqa: F401,F403
from companion.gru import *  # noqa: F401,F403
from companion.jordan import *  # noqa: F401,F403
from companion.layers import *  # noqa: F401,F403
from companion.losses import *  # noqa: F401,F403
from companion.lstm import *  # noqa: F401,F403
from companion.optim import *  # noqa: F401,F403
from companion.sequence_model import *  # noqa: F401,F403
from companion.tasks import *  # noqa: F401,F403
from companion.training import *  # noqa: F401,F403
from companion import activations, elman, gradcheck, gru, jordan, layers, losses, lstm, optim  # noqa: F401
from companion import sequence_model, tasks, training  # noqa: F401

# the public API re-exported above: the union of the submodules' __all__
__all__ = sorted({name for module in (elman, gradcheck, gru, jordan, layers, losses, lstm, optim, sequence_model,
                                      tasks, training) for name in module.__all__})

__version__ = "0.1.0"
