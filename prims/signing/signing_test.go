package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/rose-ash/sxhost/runtime"
)

// TestRSAKeypairHalvesMatch checks what SX cannot: the private key signs
// what the public key verifies, so a federation actor's keys work together.
func TestRSAKeypairHalvesMatch(t *testing.T) {
	env := runtime.NewEnv()
	env.DefinePrimitives(Primitives()...)
	v, err := env.NewThread(nil).EvalString("test", "(rsa-keypair)")
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*runtime.Dict)
	pubPEM, _ := d.Get("public-pem")
	privPEM, _ := d.Get("private-pem")
	pb, _ := pem.Decode([]byte(pubPEM.(string)))
	kb, _ := pem.Decode([]byte(privPEM.(string)))
	if pb == nil || kb == nil {
		t.Fatal("not PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(pb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if priv.(*rsa.PrivateKey).N.BitLen() != 2048 {
		t.Fatalf("bits %d", priv.(*rsa.PrivateKey).N.BitLen())
	}
	digest := sha256.Sum256([]byte("hello"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv.(*rsa.PrivateKey), crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("public half does not verify the private half's signature: %v", err)
	}
}
