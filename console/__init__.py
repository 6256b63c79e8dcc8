"""The counselor console: accounts, permissions, web app."""
