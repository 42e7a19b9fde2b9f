"""The chapters' data charts: check the drawn artists, labels and the input checks, not pixels."""
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.plots import (  # noqa: E402
    plot_bar_table,
    plot_error_by_position,
    plot_error_surface,
    plot_gradient_flow,
    plot_gradient_norms,
    plot_heatmaps,
    plot_line_scan,
    plot_lstm_trace,
    plot_series,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def visible_lines(ax):
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


# --------------------------------------------------------------------------------------------------- plot_series
def test_plot_series_one_line_per_series_with_labels_and_axis_text():
    fig = plot_series({"Elman": [3.0, 2.0, 1.0], "Jordan": [3.0, 2.5, 2.0, 1.5]}, "epoch", "loss", title="Loss")
    (ax,) = fig.axes
    assert [line.get_label() for line in visible_lines(ax)] == ["Elman", "Jordan"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss" and ax.get_title() == "Loss"
    np.testing.assert_array_equal(visible_lines(ax)[1].get_xdata(), [0, 1, 2, 3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Elman", "Jordan"]


def test_plot_series_baseline_logy_markers_and_shared_x():
    fig = plot_series({"a": [1.0, 0.1, 0.01]}, "k", "norm", logy=True, baseline=(0.5, "chance"), markers=True,
                      x=[1, 2, 3])
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    line, base = visible_lines(ax)
    assert line.get_marker() == "o"
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    assert base.get_label() == "chance"
    np.testing.assert_array_equal(base.get_ydata(), [0.5, 0.5])
    assert base.get_linestyle() == "--"


def test_plot_series_plain_number_baseline_is_labelled_baseline():
    ax = plot_series({"a": [1, 2]}, "x", "y", baseline=1.5).axes[0]
    assert visible_lines(ax)[-1].get_label() == "baseline"


def test_plot_series_draws_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = plot_series({"a": [1, 2, 3]}, "x", "y", ax=axes[1])
    assert out is fig
    assert len(visible_lines(axes[1])) == 1 and len(axes[0].get_lines()) == 0


@pytest.mark.parametrize("series, kwargs, match", [
    ({}, {}, "must not be empty"),
    ([1, 2, 3], {}, "dict"),
    ({"a": [[1, 2], [3, 4]]}, {}, r"1-D.*shape \(2, 2\)"),
    ({"a": []}, {}, "must not be empty"),
    ({"a": ["x", "y"]}, {}, "numbers"),
    ({"a": [1, 2, 3]}, {"x": [1, 2]}, "lengths must match"),
    ({"a": [1.0, 0.0]}, {"logy": True}, "logy"),
    ({"a": [1.0, 2.0]}, {"baseline": (1, 2, 3)}, "baseline"),
])
def test_plot_series_rejects_bad_input(series, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_series(series, "x", "y", **kwargs)


# ------------------------------------------------------------------------------------------------- plot_heatmaps
def test_plot_heatmaps_one_row_per_entry_shared_symmetric_colour_scale():
    h1 = np.linspace(-0.5, 0.5, 12).reshape(4, 3)  # (T, H)
    h2 = np.full((4, 5), 2.0)
    fig = plot_heatmaps({"layer 1": h1, "layer 2": h2}, xticklabels=["w1", "w2", "w3", "w4"], title="memory")
    heat_axes = [ax for ax in fig.axes if ax.images]
    assert len(heat_axes) == 2
    assert len(fig.axes) == 3  # + one shared colorbar
    assert [ax.get_title(loc="left") for ax in heat_axes] == ["layer 1", "layer 2"]
    for ax, arr in zip(heat_axes, [h1, h2]):
        image = ax.images[0]
        np.testing.assert_array_equal(image.get_array(), arr.T)  # units down, time across
        assert image.get_clim() == (-2.0, 2.0)
    assert [t.get_text() for t in heat_axes[-1].get_xticklabels()] == ["w1", "w2", "w3", "w4"]
    assert fig._suptitle.get_text() == "memory"


def test_plot_heatmaps_explicit_limits():
    fig = plot_heatmaps({"h": np.ones((3, 2))}, vmin=-0.5, vmax=0.5, cmap="viridis")
    image = fig.axes[0].images[0]
    assert image.get_clim() == (-0.5, 0.5)
    assert image.get_cmap().name == "viridis"


@pytest.mark.parametrize("arrays, kwargs, match", [
    ({}, {}, "non-empty"),
    ({"h": np.ones(4)}, {}, r"shape \(T, H\)"),
    ({"h": np.ones((2, 3, 4))}, {}, r"shape \(T, H\)"),
    ({"h": np.ones((0, 3))}, {}, "empty"),
    ({"a": np.ones((3, 2)), "b": np.ones((4, 2))}, {}, "same number of time steps"),
    ({"h": np.ones((3, 2))}, {"xticklabels": ["a", "b"]}, "one label per time step"),
])
def test_plot_heatmaps_rejects_bad_input(arrays, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_heatmaps(arrays, **kwargs)


# ----------------------------------------------------------------------------------------------- plot_lstm_trace
class FakeTrace(NamedTuple):
    """Stands in for companion.lstm.LSTMTrace: (T, B, H) arrays."""

    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    c: np.ndarray
    a: np.ndarray


def make_trace(T=5, B=2, H=3):
    rng = np.random.default_rng(0)
    gates = [rng.uniform(size=(T, B, H)) for _ in range(3)]
    return FakeTrace(*gates, rng.normal(size=(T, B, H)), rng.normal(size=(T, B, H)))


def test_plot_lstm_trace_from_dict_splits_gates_from_memory():
    series = {"input_gate": [1, 0, 1], "forget_gate": [1, 1, 0], "output_gate": [0, 1, 1], "c": [3, 3, 0],
              "a": [0, 3, 0]}
    fig = plot_lstm_trace(series, x_labels=["x1", "x2", "x3"])
    gate_ax, mem_ax = fig.axes[:2]
    np.testing.assert_array_equal(gate_ax.images[0].get_array(), [[1, 0, 1], [1, 1, 0], [0, 1, 1]])
    assert gate_ax.images[0].get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in gate_ax.get_yticklabels()] == [
        "input gate $f(z_i)$", "forget gate $f(z_f)$", "output gate $f(z_o)$"]
    assert [line.get_label() for line in visible_lines(mem_ax)] == ["memory $c$", "output $a$"]
    assert [t.get_text() for t in mem_ax.get_xticklabels()] == ["x1", "x2", "x3"]
    assert gate_ax.get_shared_x_axes().joined(gate_ax, mem_ax)
    assert len(gate_ax.texts) == 9  # the openings are written in the strip


def test_plot_lstm_trace_from_trace_object_takes_batch_and_unit():
    trace = make_trace()
    fig = plot_lstm_trace(trace, batch=1, unit=2)
    gate_ax, mem_ax = fig.axes[:2]
    np.testing.assert_allclose(gate_ax.images[0].get_array()[1], trace.forget_gate[:, 1, 2])
    c_line, a_line = visible_lines(mem_ax)
    np.testing.assert_allclose(c_line.get_ydata(), trace.c[:, 1, 2])
    np.testing.assert_allclose(a_line.get_ydata(), trace.a[:, 1, 2])
    default = plot_lstm_trace(trace)
    np.testing.assert_allclose(visible_lines(default.axes[1])[0].get_ydata(), trace.c[:, 0, 0])


@pytest.mark.parametrize("trace, kwargs, match", [
    ({}, {}, "must not be empty"),
    ({"input_gate": [1, 0], "c": [1, 2, 3]}, {}, "same length"),
    ({"c": [1, 2]}, {"x_labels": ["a"]}, "one label per step"),
    (object(), {}, "missing"),
    (FakeTrace(*(np.ones((3, 2)) for _ in range(5))), {}, r"\(T, B, H\)"),
    (make_trace(B=2), {"batch": 2}, "out of range"),
])
def test_plot_lstm_trace_rejects_bad_input(trace, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_lstm_trace(trace, **kwargs)


def test_plot_lstm_trace_with_companion_lstm_if_available():
    lstm_module = pytest.importorskip("companion.lstm")
    model = lstm_module.LSTM(2, 3, seed=0)
    model.forward(np.random.default_rng(0).normal(size=(4, 1, 2)))
    fig = plot_lstm_trace(model.trace())
    assert fig.axes[0].images[0].get_array().shape == (3, 4)


# ---------------------------------------------------------------------------------------- plot_error_by_position
def test_plot_error_by_position_curve_and_phase_means():
    err = np.tile([0.3, 0.2, 0.05], 4)
    fig = plot_error_by_position(err, period=3, highlight_phase=2, title="temporal XOR")
    curve_ax, bar_ax = fig.axes
    (line,) = visible_lines(curve_ax)
    np.testing.assert_allclose(line.get_ydata(), err)
    np.testing.assert_allclose([bar.get_height() for bar in bar_ax.patches], [0.3, 0.2, 0.05])
    shaded = [p for p in curve_ax.patches]
    assert len(shaded) == 4  # positions 2, 5, 8, 11
    assert "mod 3" in bar_ax.get_title()


def test_plot_error_by_position_axes_run_from_zero_to_a_round_value_that_small_changes_keep():
    err = np.tile([0.28, 0.27, 0.11], 4)
    limits = []
    for scale in (1.0, 1.003, 0.997):  # a change in the third digit, as another machine's rounding gives
        fig = plot_error_by_position(err * scale, period=3)
        limits.append([ax.get_ylim() for ax in fig.axes])
        plt.close(fig)
    assert limits[0] == [(0.0, 0.3), (0.0, 0.3)]
    assert limits[1] == limits[0] and limits[2] == limits[0]
    fig = plot_error_by_position(np.tile([0.5, -0.2, 0.1], 2))  # not errors: the limits fit the data
    assert fig.axes[0].get_ylim()[0] < -0.2
    plt.close(fig)
    fig = plot_error_by_position([1.0, np.nan, 0.5, 7.2, 0.0, 1e-300])  # NaN skipped; no singular-limit warning
    assert [ax.get_ylim() for ax in fig.axes] == [(0.0, 8.0), (0.0, 8.0)]  # 1.05 x 7.2 rounded up
    plt.close(fig)


def test_plot_error_by_position_several_models():
    err = {"Elman": np.tile([0.3, 0.3, 0.0], 3), "Jordan": np.tile([0.3, 0.3, 0.1], 3)}
    fig = plot_error_by_position(err)
    curve_ax, bar_ax = fig.axes
    assert [line.get_label() for line in visible_lines(curve_ax)] == ["Elman", "Jordan"]
    assert len(bar_ax.patches) == 6
    assert [t.get_text() for t in bar_ax.get_legend().get_texts()] == ["Elman", "Jordan"]


@pytest.mark.parametrize("errors, kwargs, match", [
    ([0.1, 0.2], {}, "at least period=3"),
    ([[0.1, 0.2, 0.3]], {}, "1-D"),
    ({}, {}, "must not be empty"),
    ({"a": [1, 2, 3], "b": [1, 2, 3, 4]}, {}, "same length"),
    ([1, 2, 3], {"period": 0}, "period"),
    ([1, 2, 3], {"highlight_phase": 3}, "highlight_phase"),
])
def test_plot_error_by_position_rejects_bad_input(errors, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_error_by_position(errors, **kwargs)


# ---------------------------------------------------------------------------------- gradient norms and bar tables
def test_plot_gradient_norms_log_axis_over_k():
    k = np.arange(1, 11)
    fig = plot_gradient_norms(k, {"Elman": 0.5 ** k, "LSTM": 0.99 ** k})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in visible_lines(ax)] == ["Elman", "LSTM"]
    np.testing.assert_array_equal(visible_lines(ax)[0].get_xdata(), k)
    assert "$k$" in ax.get_xlabel()
    with pytest.raises(ValueError, match="lengths must match"):
        plot_gradient_norms(k, {"Elman": 0.5 ** k[:5]})


def test_plot_gradient_flow_a_model_equal_to_the_one_before_it_still_shows():
    # At initialisation the peephole LSTM (peepholes at zero) is the LSTM: one of two equal lines is dashed and
    # drawn over the solid one, so the solid line shows between the dashes; the legend shows the same styles.
    t = np.arange(1, 21)
    same = 0.9 ** (20 - t)
    fig = plot_gradient_flow({"at initialisation": {"tanh RNN": 0.5 ** (20 - t), "LSTM": same, "peephole LSTM": same},
                              "after training": {"tanh RNN": 0.6 ** (20 - t), "LSTM": same, "peephole LSTM": same}})
    for ax in fig.axes:
        lines = visible_lines(ax)
        assert [line.get_linestyle() for line in lines] == ["-", "--", "-"]
        np.testing.assert_array_equal(lines[1].get_ydata(), lines[2].get_ydata())
        assert lines[1].get_color() != lines[2].get_color()
        assert lines[1].get_zorder() > lines[2].get_zorder()
        assert [h.get_linestyle() for h in ax.get_legend().legend_handles] == ["-", "--", "-"]


def test_plot_bar_table_grouped_bars_with_values():
    fig = plot_bar_table({"forward": {"left": 0.9, "right": 0.5}, "bidirectional": {"left": 0.95, "right": 0.9}},
                         "accuracy", baseline=(0.5, "chance"), fmt="{:.2f}")
    ax = fig.axes[0]
    assert len(ax.patches) == 4
    assert sorted(t.get_text() for t in ax.texts) == ["0.50", "0.90", "0.90", "0.95"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["left", "right"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance", "forward", "bidirectional"]


def test_plot_bar_table_flat():
    ax = plot_bar_table({"Elman": 0.2, "Jordan": 0.1}, "loss").axes[0]
    assert [bar.get_height() for bar in ax.patches] == [0.2, 0.1]
    assert ax.get_legend() is None


@pytest.mark.parametrize("values, match", [
    ({}, "non-empty"),
    ({"a": {"x": 1}, "b": 2}, "not a mix"),
    ({"a": {"x": 1}, "b": {"y": 2}}, "same labels|must have the labels"),
    ({"a": "high"}, "number"),
])
def test_plot_bar_table_rejects_bad_input(values, match):
    with pytest.raises(ValueError, match=match):
        plot_bar_table(values, "y")


def test_nan_values_do_not_warn():
    err = np.array([0.2, np.nan, 0.1, 0.3, np.nan, 0.0])
    fig = plot_error_by_position(err, period=3)
    heights = [bar.get_height() for bar in fig.axes[1].patches]
    assert np.isnan(heights[1]) and heights[0] == pytest.approx(0.25)
    plot_heatmaps({"h": np.array([[np.nan, np.nan], [np.nan, 0.5]])})
    plot_series({"a": [1.0, np.nan, 0.5]}, "x", "y", logy=True)


# ---------------------------------------------------------------------- bad arguments: a ValueError naming them
@pytest.mark.parametrize("unit, batch, match", [
    (1.5, 0, "unit must be an integer"),
    (-1, 0, "unit must be an integer >= 0"),
    ("0", 0, "unit must be an integer"),
    (True, 0, "unit must be an integer"),
    (0, 0.0, "batch must be an integer"),
    (0, -1, "batch must be an integer >= 0"),
    (3, 0, "out of range"),
])
def test_plot_lstm_trace_rejects_bad_batch_and_unit(unit, batch, match):
    with pytest.raises(ValueError, match=match):
        plot_lstm_trace(make_trace(H=3), unit=unit, batch=batch)


def test_plot_lstm_trace_accepts_numpy_integers():
    trace = make_trace()
    fig = plot_lstm_trace(trace, batch=np.int64(1), unit=np.int32(2))
    np.testing.assert_allclose(visible_lines(fig.axes[1])[0].get_ydata(), trace.c[:, 1, 2])


@pytest.mark.parametrize("trace, kwargs, match", [
    ({"c": [1, 2]}, {"x_labels": 5}, "x_labels must be a sequence of labels"),
    ({"c": [1, 2]}, {"x_labels": "ab"}, "x_labels must be a sequence of labels"),
    ({"c": [1j, 2]}, {}, r"trace\['c'\] must be real numbers"),
    ({"c": [np.nan, np.nan], "input_gate": [0.5, 0.5]}, {}, r"trace\['c'\] has no finite value"),
    (make_trace()._replace(c=np.full((5, 2, 3), np.nan)), {}, r"trace.c\[:, 0, 0\] has no finite value"),
    (make_trace()._replace(a=make_trace().a + 1j), {}, "trace.a must be real numbers"),
])
def test_plot_lstm_trace_rejects_bad_data_and_labels(trace, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_lstm_trace(trace, **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"highlight_phase": 1.5}, "highlight_phase must be an integer in 0..2"),
    ({"highlight_phase": -1}, "highlight_phase must be an integer in 0..2"),
    ({"highlight_phase": "1"}, "highlight_phase must be an integer"),
    ({"period": 1.5}, "period must be a positive integer"),
])
def test_plot_error_by_position_rejects_non_integer_phase(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_error_by_position([0.1, 0.2, 0.3, 0.4], **kwargs)


def test_plot_error_by_position_rejects_all_nan_and_complex():
    with pytest.raises(ValueError, match="errors has no finite value"):
        plot_error_by_position(np.full(6, np.nan))
    with pytest.raises(ValueError, match=r"errors\['b'\] has no finite value"):
        plot_error_by_position({"a": np.ones(3), "b": np.full(3, np.inf)})
    with pytest.raises(ValueError, match="errors must be real numbers"):
        plot_error_by_position(np.ones(3) * 1j)


@pytest.mark.parametrize("fmt", [5, None, "{:d}", "{0} {1}", "{x}", "{:.3q}"])
def test_plot_bar_table_rejects_bad_fmt(fmt):
    with pytest.raises(ValueError, match="fmt must be a format string"):
        plot_bar_table({"a": 0.5}, "y", fmt=fmt)


@pytest.mark.parametrize("values, kwargs, match", [
    ({"a": np.nan}, {}, r"value of ''/'a' must be a finite real number"),
    ({"a": 1 + 2j}, {}, "must be a finite real number"),
    ({"a": np.complex128(1 + 2j)}, {}, "must be a finite real number"),
    ({"g": {"a": np.inf}}, {}, r"value of 'g'/'a' must be a finite real number"),
    ({"a": 0.5}, {"baseline": np.nan}, "baseline value must be a finite real number"),
    ({"a": 0.5}, {"baseline": (1j, "chance")}, "baseline value must be a finite real number"),
])
def test_plot_bar_table_rejects_nan_and_complex_values(values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_bar_table(values, "y", **kwargs)


def test_plot_bar_table_custom_fmt_still_works():
    ax = plot_bar_table({"a": 0.5, "b": 0.25}, "y", fmt="{:.0%}").axes[0]
    assert [t.get_text() for t in ax.texts] == ["50%", "25%"]


def test_plot_gradient_norms_names_its_own_arguments():
    k = np.arange(1, 4)
    with pytest.raises(ValueError, match="norms must be a dict"):
        plot_gradient_norms(k, [0.5, 0.25, 0.125])
    with pytest.raises(ValueError, match=r"norms\['a'\] has 2 values but k has 3"):
        plot_gradient_norms(k, {"a": [0.5, 0.25]})
    with pytest.raises(ValueError, match="k must be a 1-D array"):
        plot_gradient_norms([[1, 2, 3]], {"a": [0.5, 0.25, 0.1]})
    with pytest.raises(ValueError, match=r"norms\['a'\] has values <= 0"):
        plot_gradient_norms(k, {"a": [0.5, 0.0, 0.1]})


@pytest.mark.parametrize("series, kwargs, match", [
    ({"a": [1 + 1j, 2.0]}, {}, r"series\['a'\] must be real numbers"),
    ({"a": np.array([1.0, 2.0], dtype=np.complex64)}, {}, r"series\['a'\] must be real numbers"),
    ({"a": [np.nan, np.nan]}, {}, r"series\['a'\] has no finite value"),
    ({"a": [1.0, 2.0], "b": [np.inf, -np.inf]}, {}, r"series\['b'\] has no finite value"),
    ({"a": [1.0, 2.0]}, {"x": [np.nan, np.nan]}, "x has no finite value"),
    ({"a": [1.0, 2.0]}, {"x": [1j, 2]}, "x must be real numbers"),
    ({"a": [1.0, 2.0]}, {"baseline": np.inf}, "baseline value must be a finite real number"),
    ({"a": [1.0, 2.0]}, {"ax": "left"}, "ax must be a matplotlib Axes"),
])
def test_plot_series_rejects_complex_all_nan_and_bad_ax(series, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_series(series, "x", "y", **kwargs)


@pytest.mark.parametrize("arrays, kwargs, match", [
    ({"h": np.full((3, 2), np.nan)}, {}, r"arrays\['h'\] has no finite value"),
    ({"h": np.ones((3, 2)), "g": np.full((3, 2), np.inf)}, {}, r"arrays\['g'\] has no finite value"),
    ({"h": np.ones((3, 2)) * 1j}, {}, r"arrays\['h'\] must be real numbers"),
    ({"h": np.ones((3, 2))}, {"vmin": 1.0, "vmax": -1.0}, "vmin must be smaller than vmax, got vmin=1.0, vmax=-1.0"),
    ({"h": np.ones((3, 2))}, {"vmin": 0.5, "vmax": 0.5}, "vmin must be smaller than vmax"),
    ({"h": np.ones((3, 2))}, {"vmin": np.nan, "vmax": 1.0}, "vmin must be a finite real number"),
    ({"h": np.ones((3, 2))}, {"vmax": "big"}, "vmax must be a finite real number"),
    ({"h": np.ones((3, 2))}, {"vmax": 0}, "vmax alone gives the symmetric scale"),
    ({"h": np.ones((3, 2))}, {"xticklabels": 3}, "xticklabels must be a sequence of labels"),
])
def test_plot_heatmaps_rejects_all_nan_and_bad_limits(arrays, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_heatmaps(arrays, **kwargs)


def test_plot_heatmaps_one_sided_limit_is_symmetric():
    image = plot_heatmaps({"h": np.ones((3, 2))}, vmin=-0.25).axes[0].images[0]
    assert image.get_clim() == (-0.25, 0.25)
    image = plot_heatmaps({"h": np.ones((3, 2))}, vmax=np.float32(2)).axes[0].images[0]
    assert image.get_clim() == (-2.0, 2.0)


# ---------------------------------------------------------------------------------------------- plot_gate_opening
def test_plot_gate_opening_draws_the_sigmoid_and_its_leak_at_the_marks():
    from companion.activations import sigmoid
    from companion.plots import plot_gate_opening

    fig = plot_gate_opening(marks=(10, 90), z_max=100)
    ax, ax_leak = fig.axes
    z, opening = ax.lines[0].get_data()
    np.testing.assert_allclose(opening, sigmoid(z), rtol=1e-12, atol=1e-300)
    # the four marked points sit on the curve at -90, -10, 10, 90
    marked = sorted((float(line.get_xdata()[0]), float(line.get_ydata()[0])) for line in ax.lines[1:] if line.get_marker() == "o")
    np.testing.assert_allclose([p[0] for p in marked], [-90, -10, 10, 90])
    np.testing.assert_allclose([p[1] for p in marked], sigmoid(np.array([-90.0, -10.0, 10.0, 90.0])), rtol=1e-12)
    zr, leak = ax_leak.lines[0].get_data()
    np.testing.assert_allclose(leak, sigmoid(-zr), rtol=1e-12)
    assert [t.get_text() for t in ax_leak.texts] == [f"σ(−10) = {float(sigmoid(-10.0)):.2e}",
                                                     f"σ(−90) = {float(sigmoid(-90.0)):.2e}"]
    plt.close(fig)


@pytest.mark.parametrize("kwargs, match", [
    ({"marks": ()}, "marks"), ({"marks": (0,)}, "marks"), ({"marks": (120,)}, "marks"),
    ({"marks": (np.nan,)}, "marks"), ({"z_max": -1}, "z_max"),
])
def test_plot_gate_opening_rejects_bad_input(kwargs, match):
    from companion.plots import plot_gate_opening

    with pytest.raises(ValueError, match=match):
        plot_gate_opening(**kwargs)


def test_plot_error_surface_log_colours_and_paths():
    w, b = np.linspace(0, 2, 5), np.linspace(-1, 1, 4)
    loss = (w[None, :] - 1) ** 2 + b[:, None] ** 2
    fig = plot_error_surface(w, b, loss, paths={"plain": [(0, 1), (1, 0)], "clipped": np.array([[2, -1], [1.5, 0]])},
                             title="t")
    ax = fig.axes[0]
    mesh = ax.collections[0]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(4, 5), np.log10(np.maximum(loss, 1e-6)))
    assert [line.get_label() for line in visible_lines(ax)] == ["plain", "clipped"]
    assert len(fig.axes) == 2  # the colorbar


@pytest.mark.parametrize("args, kwargs, match", [
    (([0, 1], [0, 1], np.ones((3, 2))), {}, r"loss must have shape \(m, n\) = \(2, 2\)"),
    (([1, 0], [0, 1], np.ones((2, 2))), {}, "w must hold at least 2 increasing values"),
    (([0, 1], [0, 1], -np.ones((2, 2))), {}, "loss must be >= 0"),
    (([0, 1], [0, 1], np.ones((2, 2))), {"paths": {"p": [1, 2, 3]}}, r"paths\['p'\] must have shape \(k, 2\)"),
    (([0, 1], [0, 1], np.ones((2, 2))), {"floor": 0}, "floor must be a positive number"),
    (([0, 1], [0, 1], np.full((2, 2), np.nan)), {}, "loss has no finite value"),
])
def test_plot_error_surface_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_error_surface(*args, **kwargs)


def test_plot_line_scan_loss_mark_and_log_gradient_axis():
    a = np.linspace(0, 2, 9)
    fig = plot_line_scan(a, (a - 1) ** 2, grad_norms=np.exp(a), mark=1.0, title="scan")
    ax, ax2 = fig.axes
    assert ax2.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), (a - 1) ** 2)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "trained weights", "gradient norm"]
    assert len(plot_line_scan(a, a, mark=None).axes) == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"losses": [1.0, 2.0]}, "losses has 2 values but alphas has 3"),
    ({"grad_norms": [1.0, 0.0, 1.0]}, "grad_norms must be positive"),
    ({"grad_norms": [1.0]}, "grad_norms has 1 values"),
    ({"mark": np.inf}, "mark must be a finite real number"),
])
def test_plot_line_scan_rejects_bad_input(kwargs, match):
    args = {"alphas": [0.0, 1.0, 2.0], "losses": [1.0, 0.5, 2.0]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        plot_line_scan(**args)
