package interop

import (
	"context"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
)

// storageRouter opens one of our routers on addr with a badger storage
// on demo/example/** in dir.
func storageRouter(t *testing.T, addr, dir string) *zenoh.Session {
	t.Helper()
	cfg := zenoh.DefaultConfig()
	cfg.Mode = zenoh.ModeRouter
	cfg.MulticastScouting = false
	cfg.Listen = []string{"tcp/" + addr}
	cfg.DataDir = dir
	cfg.Storages = map[string]zenoh.StorageConfig{"demo": {KeyExpr: "demo/example/**", Volume: "badger"}}
	s, err := zenoh.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStoragePicoPutRestartGet: pico z_put into our router's storage; the
// router restarts; pico z_get reads the value back.
func TestStoragePicoPutRestartGet(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	data := t.TempDir()
	r := storageRouter(t, addr, data)
	put := start(t, dir, "z_put", "-m", "client", "-e", "tcp/"+addr, "-v", "kept across restarts")
	select {
	case <-put.done:
	case <-time.After(20 * time.Second):
		t.Fatal("z_put did not end")
	}
	// The value is stored once our own Get sees it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ch, err := r.Get(context.Background(), "demo/example/zenoh-pico-put")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for rep := range ch {
			found = found || (rep.Err == nil && string(rep.Sample.Payload) == "kept across restarts")
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the storage never had pico's put")
		}
		<-time.After(20 * time.Millisecond) // the put is on its way; no event to wait on
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = storageRouter(t, addr, data)
	defer r.Close()
	get := start(t, dir, "z_get", "-m", "client", "-e", "tcp/"+addr, "-k", "demo/example/**")
	get.waitLines(t, "Received PUT ('demo/example/zenoh-pico-put': 'kept across restarts')", 1, 20*time.Second)
}
