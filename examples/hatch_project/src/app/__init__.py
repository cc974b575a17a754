"""A small shop application: orders move through a state machine compiled at build time.

`app.main` drives it; `app.handlers` holds the guards and actions the machine calls.
"""
