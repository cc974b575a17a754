"""The service database: settings, the handle on the state store's connections that the API,
the worker and `pystator db` share, and the machine catalog."""
