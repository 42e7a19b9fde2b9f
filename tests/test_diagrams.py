"""The course's schematic diagrams: check what is drawn (boxes, arrows, labels), not pixels."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from companion.diagrams import (  # noqa: E402
    draw_bidirectional,
    draw_deep_rnn,
    draw_elman_jordan,
    draw_lstm_backward,
    draw_lstm_cell,
    draw_unrolled_bptt,
)


@pytest.fixture
def close_figures():
    yield
    plt.close("all")


def gids(ax, prefix):
    return [p.get_gid() for p in ax.patches if p.get_gid() and p.get_gid().startswith(prefix)]


def arrows(ax, kind):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_gid().startswith(f"arrow:{kind}:")]


def texts(ax):
    return {t.get_gid(): t.get_text() for t in ax.texts}


def all_texts_in_figure(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


@pytest.mark.parametrize("num_layers, steps", [(1, 1), (2, 3), (3, 3), (4, 2)])
def test_deep_rnn_counts(close_figures, num_layers, steps):
    fig = draw_deep_rnn(num_layers=num_layers, steps=steps)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(gids(ax, "hidden:")) == num_layers * steps
    assert len(gids(ax, "memory:")) == num_layers * steps
    assert len(gids(ax, "input:")) == steps
    assert len(gids(ax, "output:")) == steps
    assert len(arrows(ax, "read")) == num_layers * (steps - 1)
    assert len(arrows(ax, "write")) == num_layers * steps
    # inputs -> layer 1 -> ... -> layer L -> output: L + 1 forward arrows per step
    assert len(arrows(ax, "forward")) == (num_layers + 1) * steps


def test_deep_rnn_memory_is_read_back_by_the_same_layer_at_the_next_step(close_figures):
    ax = draw_deep_rnn(num_layers=3, steps=3).axes[0]
    reads = arrows(ax, "read")
    for arrow in reads:
        source, target = arrow.get_gid().split(":", 2)[2].split("->")
        _, s_layer, s_step = source.split(":")
        kind, t_layer, t_step = target.split(":")
        assert kind == "hidden" and s_layer == t_layer
        assert {"t": 0, "t+1": 1, "t+2": 2}[t_step] == {"t": 0, "t+1": 1, "t+2": 2}[s_step] + 1
        assert arrow.get_linestyle() != "-"  # read-back arrows are dashed
        assert arrow.patchB.get_gid() == target
    for arrow in arrows(ax, "write"):
        assert arrow.patchA.get_gid().startswith("hidden:") and arrow.patchB.get_gid().startswith("memory:")


def test_deep_rnn_labels_use_course_notation(close_figures):
    fig = draw_deep_rnn(num_layers=2, steps=3)
    labels = texts(fig.axes[0])
    assert labels["input:t:label"] == "$x_{t}$"
    assert labels["input:t+2:label"] == "$x_{t+2}$"
    assert labels["output:t+1:label"] == "$y_{t+1}$"
    assert labels["hidden:l2:t+1:label"] == "$h^{(2)}_{t+1}$"
    assert "hidden layer 2" in labels.values()
    assert "Deep RNN" in fig.axes[0].get_title()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("read back" in t for t in legend)


@pytest.mark.parametrize("bad", [0, 7, -1, 2.5, "3", True, None])
def test_deep_rnn_rejects_bad_sizes(close_figures, bad):
    with pytest.raises(ValueError, match="num_layers"):
        draw_deep_rnn(num_layers=bad)
    with pytest.raises(ValueError, match="steps"):
        draw_deep_rnn(steps=bad)


def test_elman_memory_stores_the_hidden_layer_jordan_the_output(close_figures):
    fig = draw_elman_jordan()
    assert len(fig.axes) == 2
    elman, jordan = fig.axes
    assert elman.get_title().startswith("Elman")
    assert jordan.get_title().startswith("Jordan")
    (e_write,) = arrows(elman, "write")
    (j_write,) = arrows(jordan, "write")
    assert e_write.patchA.get_gid() == "elman:hidden"
    assert e_write.patchB.get_gid() == "elman:memory"
    assert j_write.patchA.get_gid() == "jordan:output"
    assert j_write.patchB.get_gid() == "jordan:memory"
    # in both networks the memory is read back into the hidden layer
    for ax, kind in [(elman, "elman"), (jordan, "jordan")]:
        (read,) = arrows(ax, "read")
        assert read.patchA.get_gid() == f"{kind}:memory"
        assert read.patchB.get_gid() == f"{kind}:hidden"
    assert texts(elman)["elman:memory:label"] == "$h_{t-1}$"
    assert texts(jordan)["jordan:memory:label"] == "$y_{t-1}$"


def test_elman_jordan_highlight_what_goes_into_memory(close_figures):
    elman, jordan = draw_elman_jordan().axes

    def box(ax, gid):
        return next(p for p in ax.patches if p.get_gid() == gid)

    # the stored box is drawn with a thicker, highlighted outline; the other one is not
    assert box(elman, "elman:hidden").get_linewidth() > box(elman, "elman:output").get_linewidth()
    assert box(jordan, "jordan:output").get_linewidth() > box(jordan, "jordan:hidden").get_linewidth()
    assert box(elman, "elman:hidden").get_edgecolor() == box(jordan, "jordan:output").get_edgecolor()
    assert arrows(elman, "write")[0].get_edgecolor() == arrows(jordan, "write")[0].get_edgecolor()


@pytest.mark.parametrize("steps", [1, 3, 5])
def test_bidirectional_counts_and_directions(close_figures, steps):
    ax = draw_bidirectional(steps=steps).axes[0]
    for kind in ["input", "forward", "backward", "output"]:
        assert len(gids(ax, f"{kind}:")) == steps
    fwd, bwd = arrows(ax, "forward-rec"), arrows(ax, "backward-rec")
    assert len(fwd) == len(bwd) == steps - 1
    for arrow in fwd:  # left to right
        assert arrow.patchA.get_gid().startswith("forward:")
        assert arrow.patchA.get_x() < arrow.patchB.get_x()
    for arrow in bwd:  # right to left
        assert arrow.patchA.get_gid().startswith("backward:")
        assert arrow.patchA.get_x() > arrow.patchB.get_x()
    to_out = arrows(ax, "to-output")
    assert len(to_out) == 2 * steps
    for s in range(steps):
        t = "t" if s == 0 else f"t+{s}"
        sources = sorted(a.patchA.get_gid() for a in to_out if a.patchB.get_gid() == f"output:{t}")
        assert sources == [f"backward:{t}", f"forward:{t}"]
    assert len(arrows(ax, "input")) == 2 * steps


def test_bidirectional_rejects_bad_steps(close_figures):
    with pytest.raises(ValueError, match="steps"):
        draw_bidirectional(steps=0)


def test_lstm_cell_parts_and_equations(close_figures):
    fig = draw_lstm_cell()
    ax = fig.axes[0]
    assert sorted(gids(ax, "gate:")) == ["gate:forget", "gate:input", "gate:output"]
    assert sorted(gids(ax, "act:")) == ["act:g", "act:h"]
    assert sorted(gids(ax, "op:mul")) == ["op:mul:forget", "op:mul:input", "op:mul:output"]
    assert gids(ax, "op:add") == ["op:add"]
    assert gids(ax, "memory:") == ["memory:c"]
    labels = texts(ax)
    for gid, text in [("in:z", "$z$"), ("in:z_i", "$z_i$"), ("in:z_f", "$z_f$"), ("in:z_o", "$z_o$"),
                      ("out:a", "$a$")]:
        assert labels[gid] == text
    assert labels["eq:memory"] == r"$c' = g(z)\,f(z_i) + c\,f(z_f)$"
    assert labels["eq:output"] == r"$a = h(c')\,f(z_o)$"
    for name in ["input gate", "forget gate", "output gate"]:
        assert any(t.startswith(name) for t in labels.values())


def test_lstm_cell_wiring(close_figures):
    ax = draw_lstm_cell().axes[0]
    ends = {(a.get_gid().split(":", 2)[2]) for a in ax.patches if isinstance(a, FancyArrowPatch)}
    expected = {
        "in:z->act:g", "act:g->op:mul:input", "gate:input->op:mul:input",  # g(z) f(z_i)
        "memory:c->op:mul:forget", "gate:forget->op:mul:forget",  # c f(z_f)
        "op:mul:input->op:add", "op:mul:forget->op:add", "op:add->memory:c",  # c' = sum, written back
        "memory:c->act:h", "act:h->op:mul:output", "gate:output->op:mul:output", "op:mul:output->out:a",
        "in:z_i->gate:input", "in:z_f->gate:forget", "in:z_o->gate:output",
    }
    assert expected <= ends


def test_diagrams_use_no_glyphs_outside_the_default_font(close_figures):
    """Every label renders with DejaVu (no CJK): drawing must not warn about missing glyphs."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for draw in [draw_deep_rnn, draw_elman_jordan, draw_bidirectional, draw_lstm_cell]:
            fig = draw()
            fig.canvas.draw()
            assert all(t.isascii() or "×" in t for t in all_texts_in_figure(fig))


@pytest.mark.parametrize("bad", [np.array([2.7]), np.array([2]), np.array(2.5), np.array([[3]]), np.bool_(True),
                                 np.float64(2.0), [2], 1e9])
def test_sizes_reject_arrays_floats_and_numpy_bools(close_figures, bad):
    with pytest.raises(ValueError, match=r"num_layers must be an integer in 1\.\.6"):
        draw_deep_rnn(num_layers=bad)
    with pytest.raises(ValueError, match=r"steps must be an integer in 1\.\.6"):
        draw_deep_rnn(steps=bad)
    with pytest.raises(ValueError, match=r"steps must be an integer in 1\.\.6"):
        draw_bidirectional(steps=bad)


def test_sizes_accept_numpy_integers(close_figures):
    ax = draw_deep_rnn(num_layers=np.int8(2), steps=np.array(3)).axes[0]
    assert len(gids(ax, "hidden:")) == 6
    assert len(gids(draw_bidirectional(steps=np.int64(2)).axes[0], "output:")) == 2


@pytest.mark.parametrize("steps", [1, 3, 5])
def test_unrolled_bptt_forward_and_gradient_arrows(close_figures, steps):
    ax = draw_unrolled_bptt(steps=steps).axes[0]
    assert sorted(gids(ax, "hidden:")) == sorted(f"hidden:{t}" for t in range(steps + 1))
    assert len(gids(ax, "loss:")) == steps
    grad = [p.get_gid() for p in arrows(ax, "gradient")]
    # each loss sends its gradient to its own state, each state sends one back to the state before
    assert sorted(grad) == sorted([f"arrow:gradient:loss:{t}->hidden:{t}" for t in range(1, steps + 1)]
                                  + [f"arrow:gradient:hidden:{t}->hidden:{t - 1}" for t in range(1, steps + 1)])
    assert all(p.get_linestyle() != "-" for p in arrows(ax, "gradient"))  # dashed
    forward = [p.get_gid() for p in arrows(ax, "forward")]
    assert f"arrow:forward:hidden:0->hidden:1" in forward and len(forward) == 3 * steps
    assert "sum_t" in texts(ax)["eq:bptt"]


def test_unrolled_bptt_rejects_bad_steps(close_figures):
    for bad in (0, 7, 2.0, True):
        with pytest.raises(ValueError, match="steps"):
            draw_unrolled_bptt(steps=bad)


def test_lstm_backward_numbers_the_six_lines_and_highlights_the_memory_path(close_figures):
    ax = draw_lstm_backward().axes[0]
    t = texts(ax)
    lines = [t[f"eq:backward:{k}"] for k in range(1, 7)]
    assert "dc + da" in lines[0] and "dz_o" in lines[1] and lines[5] == r"$dc_{prev} = dc'\,f(z_f)$"
    assert sorted(g for g in gids(ax, "badge:") if g.count(":") == 1) == [f"badge:{k}" for k in range(1, 7)]
    path = arrows(ax, "memory-path")
    assert len(path) == 2 and all(p.get_linewidth() > 2 for p in path)
    assert len(arrows(ax, "gradient")) == 8
    # the cell itself is the one of draw_lstm_cell, without its forward equations
    assert {"gate:input", "gate:forget", "gate:output", "memory:c"} <= set(gids(ax, ""))
    assert "eq:memory" not in t and "eq:output" not in t
