"""companion._exp_gates: the kernels' sigmoid and tanh from np.exp agree with the reference activations."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion._exp_gates import sigmoid_of_negated_, tanh_of_doubled_
from companion.activations import sigmoid

Z = np.concatenate([np.linspace(-40.0, 40.0, 2001), [-1e30, -800.0, -1e-12, 0.0, 1e-12, 800.0, 1e30]])


@pytest.mark.parametrize("dtype, atol", [(np.float64, 2e-16), (np.float32, 2e-7)])
def test_sigmoid_and_tanh_match_the_reference_to_rounding_with_exact_limits(dtype, atol):
    z = Z.astype(dtype)
    s, t = -z, 2 * z  # the argument arrives negated or doubled: the kernels fold -1 and 2 into their weights
    with np.errstate(over="ignore"):
        sigmoid_of_negated_(s)
        tanh_of_doubled_(t)
    assert s.dtype == t.dtype == dtype
    assert_allclose(s, sigmoid(z.astype(np.float64)), rtol=0, atol=atol)
    assert_allclose(t, np.tanh(z.astype(np.float64)), rtol=0, atol=2 * atol)
    assert s[z < -800].tolist() == [0.0] * int(np.sum(z < -800)) and s[z > 800].min() == 1.0
    assert t[z < -800].max() == -1.0 and t[z > 800].min() == 1.0
    assert np.all((s >= 0) & (s <= 1)) and np.all((t >= -1) & (t <= 1))


def test_saturation_warns_unless_the_caller_ignores_overflow():
    with pytest.raises(RuntimeWarning, match="overflow"):  # pytest turns RuntimeWarnings into errors
        sigmoid_of_negated_(np.array([1e4]))
