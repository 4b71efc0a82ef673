"""Where the run log lives: `<ComfyUI base directory>/telemetry/` by default
(`folder_paths.base_path`, which `--base-directory` sets), a folder ComfyUI does not serve.

ComfyUI serves files from its output, input and temp folders (`/view`) and reads and writes
anything under its user folder for anyone (`/api/userdata`), so a data folder inside one of
those (say, through `COMFY_TELEMETRY_DATA_DIR` or an `--output-directory` pointing at the base)
is refused and the run log stays off.
"""

import os

FOLDER = "telemetry"


def default_dir():
    """`<base>/telemetry`, or None outside ComfyUI."""
    try:
        import folder_paths  # noqa: PLC0415 - ComfyUI's own module

        base = getattr(folder_paths, "base_path", None)
        return os.path.join(base, FOLDER) if isinstance(base, str) and base else None
    except Exception:
        return None


def served_dirs():
    """The folders ComfyUI serves to HTTP clients, as far as they can be read."""
    out = []
    try:
        import folder_paths  # noqa: PLC0415

        for name in ("get_output_directory", "get_input_directory", "get_temp_directory",
                     "get_user_directory"):
            fn = getattr(folder_paths, name, None)
            if fn is not None:
                try:
                    out.append(fn())
                except Exception:
                    pass
    except Exception:
        pass
    return [d for d in out if isinstance(d, str) and d]


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:
        return False


def served_by(path, served=None):
    """The served folder `path` lies in (or contains), or None when it is private."""
    for folder in served_dirs() if served is None else served:
        if inside(path, folder) or inside(folder, path):
            return folder
    return None
