// Package interop holds tests against real Zenoh software: zenoh-pico 1.9.0
// example programs, found in the folder named by $ZPICO_EXAMPLES (built
// outside the repository by ../shared/tools/setup-pico.sh). Without that
// variable the tests skip and say why.
package interop
