// Generated from validate/report/plot_report.py (kept identical by the test
// ReportWriter.BuiltinScriptMatchesTheFile); edit the .py file and copy it here.
#include "sedpdf/validate/report.hpp"

namespace sedpdf {

const std::string& builtin_plot_script() {
  static const std::string script = R"PYSCRIPT(#!/usr/bin/env python3
# plot_report.py - draws the PNG figures of a sedpdf report from the figure data the C++ ReportWriter wrote
# (validate/include/sedpdf/validate/report.hpp). Usage: python3 plot_report.py figures.json
# The spec lists figures; every figure's numbers are CSV files next to it (paths relative to the spec's
# folder). Exit status: 0 all drawn, 3 matplotlib missing, 4 some figures failed (named on stderr).
import csv
import json
import os
import sys


def read_matrix(path):
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
    return [[float(v) for v in r] for r in rows]


def read_long(path):
    # header row, then columns: panel, series, x, y
    out = {}
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if not row:
                continue
            p, s, x, y = int(row[0]), int(row[1]), float(row[2]), float(row[3])
            d = out.setdefault((p, s), ([], []))
            d[0].append(x)
            d[1].append(y)
    return out


def draw_lines(plt, fig_spec, base):
    data = read_long(os.path.join(base, fig_spec["csv"]))
    panels = fig_spec["panels"]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.0), squeeze=False)
    for pi, panel in enumerate(panels):
        ax = axes[0][pi]
        for si, label in enumerate(panel["series"]):
            if (pi, si) in data:
                x, y = data[(pi, si)]
                ax.plot(x, y, label=label, lw=1.2)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_xlabel(panel.get("xlabel", ""))
        ax.set_ylabel(panel.get("ylabel", ""))
        if panel.get("title"):
            ax.set_title(panel["title"])
        if panel["series"]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def draw_images(plt, fig_spec, base):
    panels = fig_spec["panels"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for pi, panel in enumerate(panels):
        ax = axes[0][pi]
        z = read_matrix(os.path.join(base, panel["csv"]))
        ny, nx = len(z), len(z[0]) if z else 0
        step = panel.get("step", 1.0)
        extent = [0, nx * step / 10.0, ny * step / 10.0, 0]  # nm
        kw = {}
        if panel.get("categorical"):
            kw["cmap"] = "tab10"
            kw["vmin"], kw["vmax"] = -1, 9
            kw["interpolation"] = "nearest"
        else:
            kw["cmap"] = panel.get("cmap", "viridis")
        im = ax.imshow(z, extent=extent, **kw)
        ax.set_title(panel.get("title", ""))
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
        if not panel.get("categorical"):
            fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


def draw_scree(plt, fig_spec, base):
    z = read_matrix(os.path.join(base, fig_spec["csv"]))
    idx = [r[0] for r in z]
    val = [r[1] for r in z]
    fig, ax = plt.subplots(figsize=(5.0, 3.8))
    ax.semilogy(idx, val, "o-", ms=4)
    k = fig_spec.get("n_significant", 0)
    if k > 0:
        ax.axvline(k + 0.5, color="C3", ls="--", lw=1, label="%d significant" % k)
        ax.legend(fontsize=8)
    ax.set_xlabel("component")
    ax.set_ylabel(fig_spec.get("ylabel", "variance"))
    fig.tight_layout()
    return fig


def draw_phase_map(plt, fig_spec, base):
    z = read_matrix(os.path.join(base, fig_spec["csv"]))
    xs, ys = fig_spec["x"], fig_spec["y"]
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    # cell edges from centres (geometric for log axes)
    def edges(v, log):
        import math
        if len(v) == 1:
            return [v[0] * 0.8, v[0] * 1.25] if log else [v[0] - 0.5, v[0] + 0.5]
        if log:
            lv = [math.log(a) for a in v]
            e = [lv[0] - 0.5 * (lv[1] - lv[0])] + [0.5 * (a + b) for a, b in zip(lv, lv[1:])] + [lv[-1] + 0.5 * (lv[-1] - lv[-2])]
            return [math.exp(a) for a in e]
        return [v[0] - 0.5 * (v[1] - v[0])] + [0.5 * (a + b) for a, b in zip(v, v[1:])] + [v[-1] + 0.5 * (v[-1] - v[-2])]
    xe, ye = edges(xs, fig_spec.get("xlog")), edges(ys, fig_spec.get("ylog"))
    m = ax.pcolormesh(xe, ye, z, cmap="RdYlGn", vmin=fig_spec.get("vmin"), vmax=fig_spec.get("vmax"), shading="flat")
    fig.colorbar(m, ax=ax, label=fig_spec.get("zlabel", ""))
    if fig_spec.get("mask_csv"):
        mask = read_matrix(os.path.join(base, fig_spec["mask_csv"]))
        for j, row in enumerate(mask):
            for i, ok in enumerate(row):
                cx = (xe[i] * xe[i + 1]) ** 0.5 if fig_spec.get("xlog") else 0.5 * (xe[i] + xe[i + 1])
                cy = (ye[j] * ye[j + 1]) ** 0.5 if fig_spec.get("ylog") else 0.5 * (ye[j] + ye[j + 1])
                ax.text(cx, cy, "ok" if ok > 0.5 else "x", ha="center", va="center", fontsize=7)
    if fig_spec.get("xlog"):
        ax.set_xscale("log")
    if fig_spec.get("ylog"):
        ax.set_yscale("log")
    ax.set_xlabel(fig_spec.get("xlabel", ""))
    ax.set_ylabel(fig_spec.get("ylabel", ""))
    fig.tight_layout()
    return fig


DRAW = {"lines": draw_lines, "images": draw_images, "scree": draw_scree, "phase_map": draw_phase_map}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: plot_report.py figures.json\n")
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:  # ImportError or a broken installation
        sys.stderr.write("matplotlib unavailable: %s\n" % e)
        return 3
    spec_path = argv[1]
    base = os.path.dirname(os.path.abspath(spec_path))
    with open(spec_path) as fh:
        spec = json.load(fh)
    failed = []
    for f in spec["figures"]:
        try:
            fig = DRAW[f["kind"]](plt, f, base)
            if f.get("title"):
                fig.suptitle(f["title"], fontsize=10)
                fig.tight_layout()
            fig.savefig(os.path.join(base, f["png"]), dpi=110)
            plt.close(fig)
        except Exception as e:
            failed.append(f["name"])
            sys.stderr.write("figure %s failed: %s\n" % (f["name"], e))
    return 4 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
)PYSCRIPT";
  return script;
}

}  // namespace sedpdf
