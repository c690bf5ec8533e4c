"""Connected accounts: connect links, OAuth and token flows per network, the one
connect/disconnect use case, keeping tokens fresh and marking accounts to reconnect."""
