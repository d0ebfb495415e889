"""Files the CLI commands write, and why one could not be written, as an operator reads it."""

from __future__ import annotations

from pathlib import Path

import click


def write_problem(error: OSError) -> str:
    """Why a file could not be written, as an operator reads it."""
    if isinstance(error, FileNotFoundError):
        return "所在目录不存在"
    if isinstance(error, IsADirectoryError):
        return "这是一个目录"
    if isinstance(error, NotADirectoryError | FileExistsError):
        return "路径中有一段不是目录"
    if isinstance(error, PermissionError):
        return "没有写入权限"
    return error.strerror or str(error)


def write_file(path: Path, data: bytes, *, make_folder: bool = False) -> None:
    """Write a file; a folder that is missing or not writable is click's clean `Error: ...`."""
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"无法写入 {path}：{write_problem(error)}") from None
