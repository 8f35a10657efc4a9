/** The CLI's help text: its own module, so `berth --help` loads nothing else. */
export const usage = `berth: local administration of a Berth data directory (no server needed)

  berth user add <email> --role <owner|admin|deployer|viewer> [--service <name>]...
        password from standard input, or asked for when it is a terminal
  berth user list
  berth key create --user <email> --scope <read|deploy|write|admin> [--service <name>]
        [--expires 30d] [--name <text>]      prints the key once
  berth key list
  berth key revoke <id>

  berth --version

The data directory is BERTH_DATA_DIR (default ./data); it must exist unless --init is
given. Deploying to a server: berth login, berth deploy ... (berth deploy --help); its
jobs: berth jobs ..., berth runs ... (berth jobs --help).`;
