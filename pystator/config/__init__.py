"""Public home of the configuration front end: `config.loader`, `config.models`,
`config.converter` and `config.validator`, over `pystator.generator`.

Each submodule loads the compiler (pyyaml, pydantic) only when imported.
"""
