"""One module per page family. A view never imports another view."""
