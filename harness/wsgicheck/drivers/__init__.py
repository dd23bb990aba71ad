"""What drives an application: load it (``target``), call it in memory
(``client``), serve it over sockets (``server``), or wrap it (``validation``)."""
