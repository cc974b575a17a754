"""State machines of the application, one YAML file each.

The build hook generates a typed module beside each file (order.yaml -> order.py).
"""
