"""Development aid: build packs and render every page to PNG, so the team can look at them as a
board member would (issue: "look at what you build").

Usage (from the project root, against the demo database or any ``DASHBOARD_DATABASE_URL``)::

    python tools/render_pack_pngs.py --kind board --from 2025-10-01 --to 2025-12-31 --out /tmp/packs
    python tools/render_pack_pngs.py --kind contract --from 2025-12-01 --to 2025-12-31 --scope LOT1 --out /tmp/packs

Builds the PowerPoint and the PDF through ``python -m metrics pack`` (the same code the app's
Board packs page uses), converts the PowerPoint to PDF with LibreOffice and every PDF page to a
PNG with pdftoppm (Debian's ``libreoffice-impress`` and ``poppler-utils``). Prints the PNG paths.
It is not used by the app or the tests: the tests check geometry, alt text, contrast and tagging
without LibreOffice.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _need(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise SystemExit(f"{program} not found: apt-get install {package}")
    return found


def build_pack(kind: str, start: str, end: str, scope: str | None, out: Path) -> None:
    command = [sys.executable, "-m", "metrics", "pack", "--kind", kind, "--from", start, "--to", end, "--out", str(out)]
    if scope:
        command += ["--scope", scope]
    subprocess.run(command, check=True, cwd=ROOT)


def pdf_to_pngs(pdf: Path, resolution: int) -> list[Path]:
    prefix = pdf.with_suffix("")
    subprocess.run([_need("pdftoppm", "poppler-utils"), "-png", "-r", str(resolution), str(pdf), str(prefix)], check=True)
    return sorted(pdf.parent.glob(f"{prefix.name}-*.png"))


def pptx_to_pdf(pptx: Path) -> Path:
    office = _need("soffice", "libreoffice-impress")
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(pptx.parent / "from_pptx"), str(pptx)],
                   check=True, capture_output=True)
    return pptx.parent / "from_pptx" / pptx.with_suffix(".pdf").name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("board", "contract", "epop"), default="board")
    parser.add_argument("--from", dest="start", required=True)
    parser.add_argument("--to", dest="end", required=True)
    parser.add_argument("--scope")
    parser.add_argument("--out", type=Path, default=Path("/tmp/packs"))
    parser.add_argument("--resolution", type=int, default=60, help="dots per inch of the PNGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"{args.kind}_{args.start}_{args.end}" + (f"_{args.scope}" if args.scope else "")
    pptx, pdf = args.out / f"{name}.pptx", args.out / f"{name}.pdf"
    build_pack(args.kind, args.start, args.end, args.scope, pptx)
    build_pack(args.kind, args.start, args.end, args.scope, pdf)
    pngs = pdf_to_pngs(pptx_to_pdf(pptx), args.resolution) + pdf_to_pngs(pdf, args.resolution)
    for png in pngs:
        print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
