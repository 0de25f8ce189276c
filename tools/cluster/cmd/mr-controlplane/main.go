// mr-controlplane runs a real Kubernetes v1.32 control plane on loopback for the local cluster
// (issue 14): embedded etcd (in this process), kube-apiserver and kube-controller-manager
// (child processes, built by tools/cluster/build.sh from the Go module proxy).
//
//	mr-controlplane --dir DIR --bin-dir BINDIR --kubeconfig-out FILE --port-file FILE
//	                [--audit-log FILE] [--log-level 0]
//
// What it sets up, as a real cluster has it:
//   - a CA, the API server's serving certificate (SAN 127.0.0.1, localhost, kubernetes.default...),
//     client certificates for the admin (group system:masters) and for the controller manager
//     (system:kube-controller-manager), written to DIR/pki;
//   - service-account signing keys (DIR/pki/sa.key, sa.pub): the API server issues and checks
//     tokens (TokenRequest, `kubectl create token`), the controller manager's token controller
//     signs legacy token Secrets;
//   - kube-apiserver with --authorization-mode=Node,RBAC and its default admission chain, an
//     optional audit log (Metadata level for writes; e2e uses it as the write log);
//   - kube-controller-manager with every default controller (deployment, replicaset, garbage
//     collector, serviceaccount, serviceaccount-token, namespace...) except nodelifecycle:
//     the only node is the simulator's, which sends no heartbeats (docs/e2e.md).
//
// Writes FILE (--kubeconfig-out, admin client certificate) and the API server's port once
// /readyz answers and the controller manager is healthy; prints "control plane ready on
// https://127.0.0.1:PORT". Stops the children and etcd on SIGTERM/SIGINT; the children also
// get SIGKILL if this process dies (Pdeathsig). etcd's data is fresh on every start.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

type options struct {
	dir, binDir, kubeconfigOut, portFile, auditLog string
	logLevel                                       int
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "", "state directory (pki/, etcd/, kubeconfigs); required")
	flag.StringVar(&o.binDir, "bin-dir", "", "directory holding kube-apiserver and kube-controller-manager; required")
	flag.StringVar(&o.kubeconfigOut, "kubeconfig-out", "", "admin kubeconfig to write when ready; required")
	flag.StringVar(&o.portFile, "port-file", "", "file receiving the API server's port when ready")
	flag.StringVar(&o.auditLog, "audit-log", "", "kube-apiserver audit log (writes, Metadata level); empty = none")
	flag.IntVar(&o.logLevel, "log-level", 0, "klog -v of the children")
	flag.Parse()
	if o.dir == "" || o.binDir == "" || o.kubeconfigOut == "" {
		fmt.Fprintln(os.Stderr, "mr-controlplane: --dir, --bin-dir and --kubeconfig-out are required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "mr-controlplane:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	t0 := time.Now()
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	etcdClient, etcdPeer, apiPort, kcmPort := ports[0], ports[1], ports[2], ports[3]

	pki, err := writePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	kcmKubeconfig := filepath.Join(dir, "kube-controller-manager.kubeconfig")
	if err := writeKubeconfig(kcmKubeconfig, server, pki, "kcm"); err != nil {
		return err
	}
	adminKubeconfig := filepath.Join(dir, "admin.kubeconfig")
	if err := writeKubeconfig(adminKubeconfig, server, pki, "admin"); err != nil {
		return err
	}

	etcd, err := startEtcd(filepath.Join(dir, "etcd"), etcdClient, etcdPeer)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()
	fmt.Printf("etcd ready on 127.0.0.1:%d (%.1fs)\n", etcdClient, time.Since(t0).Seconds())

	apiArgs := apiserverArgs(dir, pki, etcdClient, apiPort, o)
	apiserver, err := startChild(filepath.Join(o.binDir, "kube-apiserver"), apiArgs, filepath.Join(dir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	defer stopChild(apiserver)
	client, err := adminHTTPClient(pki)
	if err != nil {
		return err
	}
	if err := waitHealthy(ctx, client, server+"/readyz", apiserver, 120*time.Second); err != nil {
		return fmt.Errorf("kube-apiserver: %w (log %s)", err, filepath.Join(dir, "kube-apiserver.log"))
	}
	fmt.Printf("kube-apiserver ready on %s (%.1fs)\n", server, time.Since(t0).Seconds())

	kcm, err := startChild(filepath.Join(o.binDir, "kube-controller-manager"),
		controllerManagerArgs(pki, kcmKubeconfig, kcmPort, o), filepath.Join(dir, "kube-controller-manager.log"))
	if err != nil {
		return err
	}
	defer stopChild(kcm)
	insecure := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // its self-signed serving cert
	if err := waitHealthy(ctx, insecure, fmt.Sprintf("https://127.0.0.1:%d/healthz", kcmPort), kcm, 120*time.Second); err != nil {
		return fmt.Errorf("kube-controller-manager: %w (log %s)", err, filepath.Join(dir, "kube-controller-manager.log"))
	}
	fmt.Printf("kube-controller-manager healthy (%.1fs)\n", time.Since(t0).Seconds())

	// The contract of the local cluster: the kubeconfig and the port appear once it is usable.
	if err := copyFileAtomic(adminKubeconfig, o.kubeconfigOut); err != nil {
		return err
	}
	if o.portFile != "" {
		if err := writeFileAtomic(o.portFile, []byte(strconv.Itoa(apiPort)+"\n")); err != nil {
			return err
		}
	}
	fmt.Printf("control plane ready on %s (%.1fs)\n", server, time.Since(t0).Seconds())

	select {
	case <-ctx.Done():
		fmt.Println("stopping")
	case <-apiserver.done:
		return errors.New("kube-apiserver exited")
	case <-kcm.done:
		return errors.New("kube-controller-manager exited")
	case err := <-etcd.Err():
		return fmt.Errorf("etcd: %w", err)
	}
	return nil
}

func apiserverArgs(dir string, pki pkiFiles, etcdPort, port int, o options) []string {
	args := []string{
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + pki.serverCert,
		"--tls-private-key-file=" + pki.serverKey,
		"--client-ca-file=" + pki.caCert,
		"--service-account-key-file=" + pki.saPub,
		"--service-account-signing-key-file=" + pki.saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=" + strconv.Itoa(o.logLevel),
	}
	if o.auditLog != "" {
		policy := filepath.Join(dir, "audit-policy.yaml")
		// Writes only (the e2e write log); reads and watches are not logged.
		_ = os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`), 0o644)
		args = append(args, "--audit-policy-file="+policy, "--audit-log-path="+o.auditLog,
			"--audit-log-mode=blocking", "--audit-log-maxsize=0")
	}
	return args
}

func controllerManagerArgs(pki pkiFiles, kubeconfig string, port int, o options) []string {
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + pki.saKey,
		"--root-ca-file=" + pki.caCert,
		"--cluster-signing-cert-file=" + pki.caCert,
		"--cluster-signing-key-file=" + pki.caKey,
		// nodelifecycle would mark the simulator's heartbeat-less node unreachable and its pods
		// not ready after 40 s.
		"--controllers=*,-nodelifecycle",
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--profiling=false",
		"--v=" + strconv.Itoa(o.logLevel),
	}
}

func adminHTTPClient(p pkiFiles) (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(p.adminCert, p.adminKey)
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(p.caCert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}}}, nil
}

// waitHealthy polls url until it answers 200, the child exits, ctx ends or the timeout passes.
func waitHealthy(ctx context.Context, c *http.Client, url string, ch *child, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch.done:
			return errors.New("exited during startup")
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("not healthy after %s (%s)", timeout, last)
}

type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startChild(bin string, args []string, logPath string) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	return c, nil
}

// stopChild: SIGTERM, then SIGKILL after 5 s.
func stopChild(c *child) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// freePorts: n distinct loopback ports nobody listens on (bound and released; the caller binds
// them right away).
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func copyFileAtomic(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return writeFileAtomic(to, data)
}
