"""The label language of the figures: one table of the English texts drawn in figures and their Chinese.

Every drawing function of :mod:`companion.diagrams` and :mod:`companion.plots` takes ``lang="en"`` or
``lang="zh"``. It builds each text in English, as before, and passes it through :func:`translate`: with
``"en"`` the text is drawn unchanged; with ``"zh"`` it is looked up here,

1. exactly, in :data:`ZH` (texts without a varying part), then
2. by the first matching pattern of :data:`ZH_PATTERNS` (texts that contain a number, a symbol or another
   translatable text, e.g. ``"hidden layer 2"`` -> ``"隐藏层 2"``);

a text found in neither is drawn as given (a label a reader wrote, a model name such as ``"LSTM"``, a formula).
The table holds both the texts companion draws itself (box labels, legends, default axis labels) and the
titles, axis labels and legend labels the chapters pass, so that a chapter's code is the same in both
editions: the Chinese edition only sets ``LANG = "zh"``.

Terms follow the Chinese edition (``shared/notes/zh-style.md``): 记忆元, 输入门, 遗忘门, 输出门, 隐藏层,
候选值, 更新门, 重置门, 梯度 ... Mathematics (``$...$``), symbols and numbers stay as in English; a space
separates Chinese from a number or a Latin letter; full-width punctuation in Chinese phrases.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from companion._checks import check_choice

#: The label languages: English (the texts as written in the code) and simplified Chinese.
LANGS = ("en", "zh")


def check_lang(lang) -> str:
    """``lang`` if it is one of :data:`LANGS`, else ValueError naming ``lang`` and the accepted values."""
    return check_choice(lang, "lang", LANGS)


#: English text -> Chinese text, for texts without a varying part.
ZH: dict[str, str] = {
    # ------------------------------------------------------------------ drawn by companion.diagrams
    "input": "输入",
    "output": "输出",
    "output layer": "输出层",
    "memory": "记忆元",
    "next step": "下一步",
    "feed forward (to the layer above)": "前馈（传给上一层）",
    "store the layer's output in its memory cell": "把该层的输出存入它的记忆元",
    "read back by the same layer at the next step": "下一步由同一层读回",
    "Elman network (simple recurrent network)": "Elman 网络（简单循环网络）",
    "Jordan network": "Jordan 网络",
    "memory stores the hidden layer: no target,\nso what it keeps is learned indirectly":
        "记忆元存的是隐藏层：它没有目标值，\n存什么只能间接地学出来",
    "memory stores the output: it has a target,\nso what the memory holds is clear":
        "记忆元存的是输出：输出有目标值，\n记忆元里存的是什么一清二楚",
    "forward RNN\n(reads left to right)": "正向 RNN\n（从左往右读）",
    "backward RNN\n(reads right to left)": "逆向 RNN\n（从右往左读）",
    "Bidirectional RNN: every output sees the whole sequence": "双向循环神经网络：每个输出都看过整个序列",
    "input gate\n$f(z_i)$": "输入门\n$f(z_i)$",
    "forget gate\n$f(z_f)$": "遗忘门\n$f(z_f)$",
    "output gate\n$f(z_o)$": "输出门\n$f(z_o)$",
    "memory\n$c \\;\\to\\; c'$": "记忆元\n$c \\;\\to\\; c'$",
    "$f$ = sigmoid: gate opening between 0 (closed) and 1 (open).   Forget gate open = remember.":
        "$f$ = sigmoid 函数：门被打开的程度在 0（关闭）到 1（打开）之间。   遗忘门打开 = 记住。",
    "LSTM memory cell: 4 inputs ($z$, $z_i$, $z_f$, $z_o$), 1 output ($a$)":
        "LSTM 的记忆元：4 个输入（$z$、$z_i$、$z_f$、$z_o$），1 个输出（$a$）",
    "reset gate $r$": "重置门 $r$",
    "update gate $z$": "更新门 $z$",
    "$\\sigma$ = sigmoid. The reset gate acts after the product $U_n h_{t-1}$ (PyTorch); the state is also the "
    "output.": "$\\sigma$ = sigmoid 函数。重置门作用在乘积 $U_n h_{t-1}$ 之后（PyTorch 的做法）；状态同时也是输出。",
    "GRU cell: 2 gates ($r$, $z$), a candidate $n$, one state $h$":
        "门控循环单元（GRU）：2 个门（$r$、$z$），1 个候选值 $n$，1 个状态 $h$",
    "forward: the same $W$, $U$ at every step": "前向：每一步都用同样的 $W$、$U$",
    "backward: gradients, last step first": "反向：梯度，从最后一步往前传",
    "$dc_{prev} = dc'\\,f(z_f)$\nto step $t-1$": "$dc_{prev} = dc'\\,f(z_f)$\n传回第 $t-1$ 步",
    "the step backward": "一步的反向传播",
    "gradient (backward)": "梯度（反向）",
    "memory path: only $f(z_f)$ on it": "记忆元路径：路上只有 $f(z_f)$",
    "LSTM step backward: the gradient paths through the cell": "LSTM 一步的反向传播：梯度穿过记忆元的路径",
    # ------------------------------------------------------------------ drawn by companion.plots
    "baseline": "基线",
    "value": "值",
    "unit": "单元",
    "time step": "时间点",
    "time step $t$": "时间点 $t$",
    "step $t$": "时间点 $t$",
    "input gate $f(z_i)$": "输入门 $f(z_i)$",
    "forget gate $f(z_f)$": "遗忘门 $f(z_f)$",
    "output gate $f(z_o)$": "输出门 $f(z_o)$",
    "memory $c$": "记忆元 $c$",
    "output $a$": "输出 $a$",
    "opening": "打开程度",
    "gate openings (0 = closed, 1 = open)": "门被打开的程度（0 = 关闭，1 = 打开）",
    "memory and output": "记忆元与输出",
    "error": "误差",
    "error at each position": "每个位置的误差",
    "position $t$ in the sequence": "序列中的位置 $t$",
    "$k$ (steps back in time)": "$k$（往回的步数）",
    "gradient norm": "梯度范数",
    "gradient norm (log scale)": "梯度范数（对数坐标）",
    "gate opening $f(z) = \\sigma(z)$": "门被打开的程度 $f(z) = \\sigma(z)$",
    "gate input $z$": "门的输入 $z$",
    "leak $\\sigma(-|z|)$ = distance from shut or open": "泄漏 $\\sigma(-|z|)$ = 离完全关闭或完全打开的距离",
    "leak (log scale)": "泄漏（对数坐标）",
    "$\\log_{10}$ loss": "$\\log_{10}$ 损失",
    "loss": "损失",
    "trained weights": "训练得到的权重",
    # ------------------------------------------------------------------ passed by the chapters
    # deep_rnn
    "training step": "训练步数",
    "training MSE (moving average of 20 steps)": "训练 MSE（20 步滑动平均）",
    "Learning the tent task, seed 0": "学习帐篷任务，种子 0",
    "input $x_t$": "输入 $x_t$",
    "target $y_t$": "目标 $y_t$",
    "Memories of a 3-layer RNN over one sequence": "3 层 RNN 在一条序列上的记忆",
    # elman_jordan
    "Jordan, teacher forcing": "Jordan，教师强制",
    "Jordan, teacher forcing\n(one-step loss, targets fed in)": "Jordan，教师强制\n（单步损失，输入目标值）",
    "delayed echo": "延迟回声",
    "running parity": "累计奇偶性",
    "training MSE (moving average of 20)": "训练 MSE（20 步滑动平均）",
    "guessing 0.5": "猜 0.5",
    "Elman memory $h_{t-1}$": "Elman 记忆元 $h_{t-1}$",
    "output $y_t$": "输出 $y_t$",
    "target $x_{t-2}$": "目标 $x_{t-2}$",
    "Elman network, delayed echo": "Elman 网络，延迟回声",
    "Jordan memory $y_{t-1}$": "Jordan 记忆元 $y_{t-1}$",
    "target (parity)": "目标（奇偶性）",
    "Jordan network, running parity": "Jordan 网络，累计奇偶性",
    # bidirectional
    "forward only": "只有正向",
    "bidirectional": "双向",
    "epoch": "轮次",
    "training loss (cross-entropy)": "训练损失（交叉熵）",
    "ln 2 x share of right-context labels": "ln 2 × 需要右侧上下文的标签所占比例",
    "Slot filling: one direction vs two": "槽填充：单向与双向",
    # lstm_gates
    "The worked example: linear g and h": "算例：线性的 g 和 h",
    "The same weights with tanh g and h": "同样的权重，g 和 h 换成 tanh",
    # bptt
    "no clipping": "不裁剪",
    "clipped at 1": "裁剪到 1",
    "One tanh unit over 50 steps: loss $(h_{50} - 0.7)^2$": "一个 tanh 单元运行 50 步：损失 $(h_{50} - 0.7)^2$",
    "$\\alpha$ in $U(\\alpha) = \\alpha U^*$": "$U(\\alpha) = \\alpha U^*$ 中的 $\\alpha$",
    "held-out cross-entropy": "留出集上的交叉熵",
    "Delayed recall, Elman network: the loss along a line in weight space":
        "延迟回忆，Elman 网络：沿权重空间中一条直线的损失",
    # classic_experiments
    "squared error": "平方误差",
    "Temporal XOR, 1-2-1 Elman network: error dips on every third bit":
        "时序异或，1-2-1 的 Elman 网络：误差每到第三位就下降",
    "$\\|\\partial h_k / \\partial h_0\\|$ or $\\|\\partial c_k / \\partial c_0\\|$":
        "$\\|\\partial h_k / \\partial h_0\\|$ 或 $\\|\\partial c_k / \\partial c_0\\|$",
    "Gradient through k steps: tanh RNN vs LSTM memory path": "穿过 k 步的梯度：tanh RNN 与 LSTM 的记忆元路径",
    "training step (Adam update)": "训练步数（Adam 更新）",
    "held-out MSE at T = 100": "T = 100 时留出集上的 MSE",
    "always 0.5": "总是输出 0.5",
    "Adding problem (curriculum T = 10, 20, 50, 100)": "加法问题（课程学习：T = 10, 20, 50, 100）",
    # lstm_variants
    "at initialisation": "初始化时",
    "after training": "训练后",
    "after training (adding problem, T = 100)": "训练后（加法问题，T = 100）",
    "Gradient of the answer with respect to the input at step t (T = 100)": "答案对第 t 步输入的梯度（T = 100）",
    "peephole LSTM": "窥视孔 LSTM",
}


def _zh(text: str) -> str:
    return translate(text, "zh")


#: (pattern, replacement) for texts with a varying part; the first pattern that matches the whole text wins.
#: A replacement is a ``re`` template or a function of the match (to translate a part that is itself a text).
ZH_PATTERNS: list[tuple[re.Pattern, str | Callable[[re.Match], str]]] = [
    (re.compile(r"hidden layer (\d+)"), r"隐藏层 \1"),
    (re.compile(r"step (\$[^$]+\$)"), r"时间点 \1"),
    (re.compile(r"step (\d+)"), r"第 \1 步"),
    (re.compile(r"store (\$.+\$)"), r"存入 \1"),
    (re.compile(r"Deep RNN: (\d+) stacked hidden layers?, unrolled over (\d+) steps?"),
     r"深层 RNN：\1 个堆叠的隐藏层，按时间展开 \2 步"),
    (re.compile(r"Backpropagation through time: an Elman network unrolled over (\d+) steps?"),
     r"随时间反向传播（BPTT）：按时间展开 \1 步的 Elman 网络"),
    (re.compile(r"mean by phase \(\$t\$ mod (\d+)\)"), r"按相位（$t$ mod \1）求平均"),
    (re.compile(r"phase \$t\$ mod (\d+)"), r"相位 $t$ mod \1"),
    (re.compile(r"mean (.+)"), lambda m: "平均" + _zh(m.group(1))),
    # chapters: deep_rnn
    (re.compile(r"depth (\d+) \(H = (\d+)\)"), r"深度 \1（H = \2）"),
    (re.compile(r"layer (\d+): (\$.+\$)"), r"第 \1 层：\2"),
    # chapters: classic_experiments, lstm_variants
    (re.compile(r"LSTM memory, forget bias ([-+0-9.e]+) \(with recurrent weights\)"),
     r"LSTM 记忆元，遗忘门偏置 \1（带循环权重）"),
    (re.compile(r"LSTM memory, forget bias ([-+0-9.e]+)"), r"LSTM 记忆元，遗忘门偏置 \1"),
    (re.compile(r"(.+), H = (\d+)"), lambda m: f"{_zh(m.group(1))}，H = {m.group(2)}"),
]


def translate(text: str, lang: str) -> str:
    """``text`` in the label language ``lang`` ("en": unchanged; "zh": from :data:`ZH` or :data:`ZH_PATTERNS`).

    A text that the table does not know is returned unchanged.

    Examples
    --------
    >>> translate("forget gate $f(z_f)$", "zh")
    '遗忘门 $f(z_f)$'
    >>> translate("hidden layer 2", "zh"), translate("hidden layer 2", "en")
    ('隐藏层 2', 'hidden layer 2')
    >>> translate("LSTM", "zh")
    'LSTM'
    """
    if lang == "en" or not isinstance(text, str):
        return text
    if text in ZH:
        return ZH[text]
    for pattern, replacement in ZH_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return replacement(match) if callable(replacement) else match.expand(replacement)
    return text


def translator(lang) -> Callable[[str], str]:
    """The function ``text -> translate(text, lang)`` after checking ``lang`` (ValueError if unknown)."""
    lang = check_lang(lang)
    return lambda text: translate(text, lang)
