"""Search: the store protocols and both backends (`store/`), and the query engine on top of them
(`engine`: parse, retrieve, fuse, find, focus, explain), with tags, cast, more like this, the
checks the CLI and the API share (`requests`) and exports of results as selects (`export`)."""
