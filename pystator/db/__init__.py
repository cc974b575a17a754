"""The service database: settings, the machine catalog and the worker's event queue,
on the same SQLite file or PostgreSQL database as the state store."""
