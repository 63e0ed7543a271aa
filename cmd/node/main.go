// Command node will be the single gozenoh binary: a Zenoh router, peer or
// client, and the command-line tools (put, sub, get, ...).
//
// Today only the wire codec, the HLC and key expressions exist, so this
// command prints what it will be and exits with status 2.
package main

import (
	"fmt"
	"os"
)

const notYet = `gozenoh node: not implemented yet.

This binary will run a Zenoh 1.x router, peer or client (protocol 0x09),
listening on tcp/[::]:7447 by default, with storages and replication, and
carry the CLI tools (put, sub, get, queryable, liveliness, scout, bench).

What exists today: the wire codec (codec/), the hybrid logical clock (hlc/)
and key expressions (keyexpr/). Links, sessions and routing come next.
`

func main() {
	fmt.Fprint(os.Stderr, notYet)
	os.Exit(2)
}
