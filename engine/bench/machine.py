"""What the benchmark ran on: CPU, cores, memory, GPU, load, and the versions of the libraries that do the work."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from importlib import metadata

PACKAGES = ("lectern", "pymupdf", "sentence-transformers", "openvino", "torch", "faiss-cpu", "llama-cpp-python")


def cpu_model() -> str:
    """The CPU's marketing name where the OS tells it, else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                                  timeout=5).stdout.strip() or platform.machine()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine()


def gpus() -> list[str]:
    """NVIDIA GPUs by name (nvidia-smi), empty when there is none or no driver."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def machine_info(with_llama: bool = True) -> dict:
    """The machine as the report records it.

    Args:
        with_llama: also ask llama.cpp whether this build offloads to a GPU and which CPU features it uses
            (imports llama_cpp).
    Returns:
        A dict: cpu, physical and logical cores, memory_gb, gpus, os, load average, UTC time, versions.
    """
    import psutil

    info = {"cpu": cpu_model(), "cores_physical": psutil.cpu_count(logical=False) or 0,
            "cores_logical": psutil.cpu_count(logical=True) or 0,
            "memory_gb": round(psutil.virtual_memory().total / 1e9, 1), "gpus": gpus(),
            "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
            "load_average": load_average(), "utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "versions": versions()}
    if with_llama:
        try:
            from ..llm.llama import build_info

            build = build_info()
            info["llama_gpu_offload"] = build["gpu_offload"]
            info["llama_system_info"] = build["system_info"]
        except Exception as exc:  # noqa: BLE001 - the report says why rather than losing the other figures
            info["llama_error"] = f"{type(exc).__name__}: {exc}"
    return info


def load_average() -> list[float]:
    """1/5/15-minute load averages (other work on the machine skews every timing), [] where unknown."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return []


def describe(info: dict) -> str:
    """One line for the report's header."""
    gpu = ", ".join(info.get("gpus") or []) or "no GPU"
    offload = info.get("llama_gpu_offload")
    llama = "" if offload is None else f"; llama.cpp GPU offload {'on' if offload else 'off'}"
    return (f"{info['cpu']}, {info['cores_physical']} physical / {info['cores_logical']} logical cores, "
            f"{info['memory_gb']} GB RAM, {gpu}{llama}; {info['os']}; Python {info['versions'].get('python')}")
