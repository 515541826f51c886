"""Reading the guides: guide list, guide, module overview and steps."""
