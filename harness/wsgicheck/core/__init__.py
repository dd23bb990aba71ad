"""The sans-IO core: a request becomes a PEP 3333 environ, the app is run and its
response assembled, every call recorded. No socket, thread or clock."""
