package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Pin returns src with the sha256 of every `command "PATH"` block set to
// hash(PATH), adding the attribute where it is missing. Everything else,
// comments and layout included, is kept byte for byte. The result must parse
// as a valid policy; otherwise Pin returns Parse's errors (positions refer to
// the pinned text, whose lines are those of src). A hash error is returned
// as an *Error at the command's label.
func Pin(src []byte, filename string, hash func(path string) (string, error)) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, joinSorted(diagErrors(diags, ""))
	}
	// hclwrite keeps no positions; take the labels' from the syntax tree.
	labels := map[string]hcl.Range{}
	if file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); !diags.HasErrors() {
		if body, ok := file.Body.(*hclsyntax.Body); ok {
			for _, b := range body.Blocks {
				if b.Type == "command" && len(b.Labels) == 1 {
					labels[b.Labels[0]] = b.LabelRanges[0]
				}
			}
		}
	}
	var errs []error
	for _, b := range f.Body().Blocks() {
		if b.Type() != "command" || len(b.Labels()) != 1 {
			continue // Parse below reports malformed blocks
		}
		path := b.Labels()[0]
		sum, err := hash(path)
		if err == nil && !sha256RE.MatchString(sum) {
			err = fmt.Errorf("hash of %s: %q is not 64 lowercase hex digits", path, sum)
		}
		if err != nil {
			rng, ok := labels[path]
			if !ok {
				rng = hcl.Range{Filename: filename}
			}
			errs = append(errs, &Error{Range: rng, Field: commandField(path), Err: err})
			continue
		}
		b.Body().SetAttributeValue("sha256", cty.StringVal(sum))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := f.Bytes()
	if _, err := Parse(out, filename); err != nil {
		return nil, err
	}
	return out, nil
}

// HashFile returns the hex sha256 of the regular file at path (symlinks are
// followed, as exec follows them). It is the hash Pin and Verify use on the
// host.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash command: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("hash command: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("hash command: %s is not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash command %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
