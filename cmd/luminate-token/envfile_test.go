package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReadEnvFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
		found   bool
		err     string
	}{
		{"plain", "JWT_SECRET=abc\n", "abc", true, ""},
		{"spaces around", "  JWT_SECRET = abc  \n", "abc", true, ""},
		{"export", "export JWT_SECRET=abc\n", "abc", true, ""},
		{"double quotes", `JWT_SECRET="a b#c"` + "\n", "a b#c", true, ""},
		{"double quotes with escape", `JWT_SECRET="a\"b\\c"` + "\n", `a"b\c`, true, ""},
		{"single quotes are literal", `JWT_SECRET='a\nb "c"'` + "\n", `a\nb "c"`, true, ""},
		{"quoted then comment", `JWT_SECRET="abc" # note` + "\n", "abc", true, ""},
		{"inline comment", "JWT_SECRET=abc # note\n", "abc", true, ""},
		{"hash inside value", "JWT_SECRET=ab#c\n", "ab#c", true, ""},
		{"equals inside value", "JWT_SECRET=a=b=c\n", "a=b=c", true, ""},
		{"CRLF", "JWT_SECRET=abc\r\nX=1\r\n", "abc", true, ""},
		{"last wins", "JWT_SECRET=old\nJWT_SECRET=new\n", "new", true, ""},
		{"commented out", "# JWT_SECRET=abc\n", "", false, ""},
		{"other key with same prefix", "JWT_SECRET_OLD=abc\n", "", false, ""},
		{"empty value", "JWT_SECRET=\n", "", true, ""},
		{"no newline at end", "A=1\nJWT_SECRET=abc", "abc", true, ""},
		{"unterminated", `JWT_SECRET="abc` + "\n", "", false, `line 1: JWT_SECRET: the " quote is not closed`},
		{"text after quote", "X=1\nJWT_SECRET='abc'def\n", "", false, "line 2: JWT_SECRET: unexpected text after the closing ' quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".env")
			writeEnv(t, path, tt.content)
			got, found, err := readEnvFile(path, "JWT_SECRET")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "abc") {
					t.Fatalf("error %q quotes the value", err)
				}
				return
			}
			if err != nil || got != tt.want || found != tt.found {
				t.Fatalf("readEnvFile = %q, %v, %v; want %q, %v", got, found, err, tt.want, tt.found)
			}
		})
	}
}
