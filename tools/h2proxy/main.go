// h2proxy: a TLS reverse proxy offering HTTP/2 (ALPN h2, then http/1.1) in front of an
// HTTP/1.1 backend such as the test API server, so tests can drive the controller's HTTP/2
// path (issue 15). Standard library only: it builds offline from the Go toolchain alone.
//
//	h2proxy --backend http://127.0.0.1:8080 --listen 127.0.0.1:0 --dir /tmp/x
//
// It generates a CA and a server certificate for 127.0.0.1 and localhost, writes
// <dir>/ca.crt and <dir>/port, and logs one line per request and per new connection to
// stdout ("request proto=HTTP/2.0 method=GET uri=/api/v1/...", "conn new ..."), flushed
// as they happen. Watches are streamed (every write is flushed at once).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

var out sync.Mutex

func logf(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

func certificates(dir string) (tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "h2proxy test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), caPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}, nil
}

func main() {
	backend := flag.String("backend", "", "URL of the HTTP backend")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	dir := flag.String("dir", ".", "directory for ca.crt and port")
	flag.Parse()
	target, err := url.Parse(*backend)
	if err != nil || target.Host == "" {
		log.Fatalf("--backend must be a URL, got %q", *backend)
	}
	cert, err := certificates(*dir)
	if err != nil {
		log.Fatalf("certificates: %v", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // stream watches
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logf("request proto=%s method=%s uri=%s", r.Proto, r.Method, r.URL.RequestURI())
		proxy.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	server := &http.Server{
		Handler:   handler,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}},
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				logf("conn new remote=%s", c.RemoteAddr())
			}
		},
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(filepath.Join(*dir, "port"), []byte(strconv.Itoa(port)), 0o644); err != nil {
		log.Fatalf("port file: %v", err)
	}
	logf("listening on %s", ln.Addr())
	log.Fatal(server.ServeTLS(ln, "", ""))
}
