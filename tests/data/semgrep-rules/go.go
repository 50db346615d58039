package handler

import (
	"crypto/des"
	"crypto/md5"
	"crypto/tls"
	"database/sql"
	"fmt"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

func Run(name string) {
	// ruleid: go-command-injection
	exec.Command("sh", "-c", "ls "+name).Run()
	// ok: go-command-injection
	exec.Command("sh", "-c", "ls /tmp").Run()
	// ok: go-command-injection
	exec.Command("ls", name).Run()
}

func Lookup(db *sql.DB, email string) {
	query := fmt.Sprintf("SELECT * FROM users WHERE email='%s'", email)
	// ruleid: go-sql-string-building
	db.Query(query)
	// ok: go-sql-string-building
	db.Query("SELECT * FROM users WHERE email=$1", email)
	// ok: go-sql-string-building
	db.Exec("SELECT name FROM users WHERE age=" + "3")
}

func Search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	// ruleid: go-tainted-xss
	fmt.Fprintf(w, "<p>results for %s</p>", q)
	// ok: go-tainted-xss
	fmt.Fprintf(w, "<p>results for %s</p>", html.EscapeString(q))
}

func Download(w http.ResponseWriter, r *http.Request) {
	name := r.FormValue("file")
	// ruleid: go-tainted-path
	data, _ := os.ReadFile(filepath.Join("/srv/files", name))
	// ok: go-tainted-path
	safe, _ := os.ReadFile(filepath.Join("/srv/files", filepath.Base(name)))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(append(data, safe...))
}

func Convert(c *gin.Context) {
	tool := c.Query("tool")
	// ruleid: go-tainted-command
	exec.Command(tool, "--version").Run()
	// ok: go-tainted-command
	exec.Command("convert", "--version").Run()
}

func Proxy(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("url")
	// ruleid: go-tainted-ssrf
	resp, _ := http.Get(target)
	defer resp.Body.Close()
	// ok: go-tainted-ssrf
	fixed, _ := http.Get("https://api.example.com/items/" + target)
	defer fixed.Body.Close()
}

func Back(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-tainted-redirect
	http.Redirect(w, r, r.FormValue("next"), http.StatusFound)
	// ok: go-tainted-redirect
	http.Redirect(w, r, "/home", http.StatusFound)
}

func Claims(tokenString string, keyFunc jwt.Keyfunc) {
	// ruleid: go-jwt-parse-unverified
	token, _, _ := jwt.NewParser().ParseUnverified(tokenString, jwt.MapClaims{})
	// ok: go-jwt-parse-unverified
	checked, _ := jwt.Parse(tokenString, keyFunc)
	fmt.Println(token, checked)
}

func Client() *http.Client {
	// ruleid: go-tls-insecure-skip-verify
	cfg := &tls.Config{InsecureSkipVerify: true}
	// ok: go-tls-insecure-skip-verify
	strict := &tls.Config{MinVersion: tls.VersionTLS12}
	fmt.Println(strict)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

func Files() {
	// ruleid: go-world-writable-permissions
	os.MkdirAll("/var/lib/app", 0777)
	// ok: go-world-writable-permissions
	os.MkdirAll("/var/lib/app", 0750)
	// ruleid: go-world-writable-permissions
	os.WriteFile("/var/lib/app/state", []byte("x"), 0666)
	// ok: go-world-writable-permissions
	os.WriteFile("/var/lib/app/state", []byte("x"), 0644)
}

func Serve() {
	fs := http.FileServer(http.Dir("./public"))
	// ruleid: go-http-directory-listing
	http.Handle("/static/", fs)
	// ok: go-http-directory-listing
	http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {})
}

func Digest(b []byte) {
	// ruleid: go-weak-hash
	fmt.Println(md5.Sum(b))
}

func Encrypt(key []byte) {
	// ruleid: go-weak-cipher
	block, _ := des.NewCipher(key)
	fmt.Println(block)
}
