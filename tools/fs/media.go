package fs

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
)

// mediaTypes maps lower-case file extensions to MIME types. The table is
// our own rather than the system's (mime.TypeByExtension reads
// /etc/mime.types), so that a file gets the same type on every machine.
var mediaTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".bmp":  "image/bmp",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	".avif": "image/avif",
	".mp3":  "audio/mpeg",
	".wav":  "audio/wav",
	".ogg":  "audio/ogg",
	".oga":  "audio/ogg",
	".flac": "audio/flac",
	".m4a":  "audio/mp4",
	".aac":  "audio/aac",
	".opus": "audio/opus",
	".weba": "audio/webm",
	".pdf":  "application/pdf",
	".zip":  "application/zip",
	".json": "application/json",
	".txt":  "text/plain",
	".mp4":  "video/mp4",
	".webm": "video/webm",
}

// mediaType returns the MIME type of a file name by its extension, and
// application/octet-stream for an extension not in the table.
func mediaType(name string) string {
	if t, ok := mediaTypes[strings.ToLower(filepath.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// readMediaFile returns an image or audio file as an MCP image or audio
// block. Any other file is returned as a text block holding a data URL
// ("data:application/pdf;base64,..."), which carries its type and bytes in
// one string every client can show.
func (s *Server) readMediaFile(_ context.Context, a pathArgs) (ironcurtain.Result, error) {
	t, err := resolve(s.snapshot(), a.Path)
	if err != nil {
		return fail("read", a.Path, err), nil
	}
	f, sz, err := openRegular(t)
	if err != nil {
		return fail("read", a.Path, err), nil
	}
	defer f.Close()
	var buf bytes.Buffer
	if err := readAll(&buf, f, sz, s.lim.maxRead, readLimit(s.lim.maxRead), ""); err != nil {
		return fail("read", a.Path, err), nil
	}
	data := buf.Bytes()
	mt := mediaType(t.rel)
	kind, _, _ := strings.Cut(mt, "/")
	switch kind {
	case "image", "audio":
		return ironcurtain.Result{Content: []ironcurtain.Content{{Type: kind, Data: data, MIMEType: mt}}}, nil
	}
	return ironcurtain.TextResult("data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(data)), nil
}
