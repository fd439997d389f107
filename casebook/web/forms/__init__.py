"""Forms validate every input before a service sees it."""
