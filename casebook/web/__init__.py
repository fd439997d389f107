"""The browser's side: views, forms, decorators, middleware, the admin site.

Views parse input, call one selector or service, and render; they never touch a
model manager (tests/test_boundaries.py keeps it so). May import every room below.
"""
