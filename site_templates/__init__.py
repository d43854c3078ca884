"""The packaged defaults of extranet's templates, theme overrides and interface texts.

This directory is installed as the package `extranet.site_templates` (pyproject.toml maps it with
`package-dir`), so the wheel carries the same files the repository builds with, and an editable
install finds them here. A project overrides them file by file from its own `site_templates/`:
see `extranet.resources`. This file only makes the directory a regular package (the editable
install's finder does not find a namespace package nested in a regular one).
"""
