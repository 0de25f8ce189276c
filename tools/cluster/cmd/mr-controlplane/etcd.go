// Embedded etcd for the local control plane: one member on loopback, plain HTTP (only this
// machine's kube-apiserver talks to it), a fresh data directory per start, no fsync (the data
// is thrown away anyway, and fsyncs are what makes etcd slow on a shared disk).
package main

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func startEtcd(dataDir string, clientPort, peerPort int) (*embed.Etcd, error) {
	if err := os.RemoveAll(dataDir); err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "mr-local"
	cfg.Dir = dataDir
	cu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", clientPort))
	pu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", peerPort))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true
	cfg.LogLevel = "error"
	cfg.Logger = "zap"
	cfg.LogOutputs = []string{dataDir + ".log"}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("not ready after 60s (log %s.log)", dataDir)
	}
}
