/** The usage text of each command, shown by --help and after a usage mistake. */
export const MAIN_HELP = `Usage: rhizome <command> [options]

Rhizome, a Matrix homeserver.

Commands:
  start             Run the homeserver
  generate-config   Print a commented configuration file
  register          Create a user account

Run \`rhizome <command> --help\` for a command's options.
`

export const START_HELP = `Usage: rhizome start [options]

Runs the homeserver until it gets SIGINT (Ctrl-C) or SIGTERM.

Options:
  -c, --config FILE        The YAML configuration file (see \`rhizome generate-config\`)
      --server-name NAME   The server name, as in @user:NAME (overrides server_name)
      --listen HOST:PORT   Listen here, for all APIs, instead of the file's listeners
                           (repeatable; IPv6 as [::1]:8008)
      --data-dir DIR       Where the server keeps its files (overrides data_dir)
      --database URL       sqlite:PATH or postgres://USER@HOST:PORT/DBNAME (overrides database)
      --dev                A development server: localhost:8008 on 127.0.0.1:8008, SQLite
                           under ./data, open registration, no federation
  -h, --help               Show this help

Without --config or --dev, --server-name is required. Flags override the file's keys.
`

export const GENERATE_CONFIG_HELP = `Usage: rhizome generate-config --server-name NAME

Prints a configuration file for server NAME, with every key explained, to standard output:

  rhizome generate-config --server-name example.org > homeserver.yaml

Options:
      --server-name NAME   The server name, as in @user:NAME (required)
  -h, --help               Show this help
`

export const REGISTER_HELP = `Usage: rhizome register --user NAME --password PASSWORD [--admin] [options]

Creates an account on this server, directly in its database.

Options:
  -u, --user NAME          The localpart of the new user ID (@NAME:server)
  -p, --password PASSWORD  Its password
      --admin              Make the account a server administrator
  -c, --config FILE        The server's configuration file
      --dev                Use the development configuration (as \`npm start\`)
  -h, --help               Show this help
`
