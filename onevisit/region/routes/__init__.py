"""The region server's routes, one module per resource."""
