"""Plot helpers with one colour per optimizer across the whole lab."""

import numpy as np

COLORS = {
    "GD": "#444444", "SGD": "#1f77b4", "Momentum": "#ff7f0e", "Nesterov": "#d62728",
    "RMSprop": "#2ca02c", "Adam": "#9467bd", "AdamW": "#8c564b", "Adagrad": "#e377c2",
}


def contour_with_paths(ax, f, paths, extent=(-2.2, 2.2, -1.2, 1.2), title="", levels=25):
    """Contours of f over ``extent`` and each named path drawn on top."""
    xs = np.linspace(extent[0], extent[1], 300)
    ys = np.linspace(extent[2], extent[3], 200)
    X, Y = np.meshgrid(xs, ys)
    Z = f(np.stack([X, Y], axis=-1))
    ax.contour(X, Y, Z, levels=np.geomspace(max(Z.min(), 1e-3), Z.max(), levels),
               colors="#bbbbbb", linewidths=0.7)
    for label, (path, color) in paths.items():
        inside = np.all(np.isfinite(path), axis=1)
        ax.plot(path[inside, 0], path[inside, 1], "o-", ms=2.5, lw=1.2, color=color, label=label)
    ax.plot(0, 0, "k*", ms=10)
    ax.set(xlim=extent[:2], ylim=extent[2:], xlabel="$x_0$", ylabel="$x_1$", title=title)
    ax.legend(loc="upper right", fontsize=8)


def loss_curves(ax, curves, title="", xlabel="step", ylabel="loss", log=True):
    """Named loss curves (label -> (values, color)) on one axis, log scale by default."""
    for label, (values, color) in curves.items():
        ax.plot(values, color=color, label=label, lw=1.5)
    if log:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
