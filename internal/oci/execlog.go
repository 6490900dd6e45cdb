package oci

import (
	"bytes"
	"encoding/json"
)

// lastLoggedError picks the message of the last level=error line of a
// runtime's JSON log.
func lastLoggedError(data []byte) string {
	msg := ""
	for _, line := range bytes.Split(data, []byte("\n")) {
		var l struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(line, &l) == nil && (l.Level == "error" || l.Level == "fatal") && l.Msg != "" {
			msg = l.Msg
		}
	}
	return msg
}
