package config

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// decode parses src and stores every attribute into its setting, recording
// positions. Block names are the first parts of the dotted setting names.
func decode(src []byte, filename string, settings map[string]any, pos map[string]hcl.Range) error {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return errors.Join(diagErrors(diags, "")...)
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return &Error{Range: hcl.Range{Filename: filename}, Err: ErrSyntax}
	}
	blocks := map[string]bool{}
	for name := range settings {
		if block, _, ok := strings.Cut(name, "."); ok {
			blocks[block] = true
		}
	}

	var errs []error
	errs = append(errs, decodeAttrs(body, "", settings, pos)...)
	for _, b := range body.Blocks {
		switch {
		case b.Type == keyBlock:
			continue // labelled; see decodeKeys
		case !blocks[b.Type]:
			errs = append(errs, &Error{Range: b.TypeRange, Field: b.Type, Err: fmt.Errorf("%w: block %q", ErrUnknown, b.Type)})
			continue
		case len(b.Labels) > 0:
			errs = append(errs, &Error{Range: b.LabelRanges[0], Field: b.Type, Err: fmt.Errorf("%w: block %q takes no labels", ErrSyntax, b.Type)})
			continue
		}
		if prev, ok := pos[b.Type]; ok {
			errs = append(errs, &Error{Range: b.TypeRange, Field: b.Type, Err: fmt.Errorf("%w (first at line %d)", ErrDuplicate, prev.Start.Line)})
			continue
		}
		pos[b.Type] = b.TypeRange
		errs = append(errs, decodeAttrs(b.Body, b.Type+".", settings, pos)...)
		for _, nested := range b.Body.Blocks {
			field := b.Type + "." + nested.Type
			errs = append(errs, &Error{Range: nested.TypeRange, Field: field, Err: fmt.Errorf("%w: block %q", ErrUnknown, field)})
		}
	}
	sortErrors(errs)
	return errors.Join(errs...)
}

func decodeAttrs(body *hclsyntax.Body, prefix string, settings map[string]any, pos map[string]hcl.Range) []error {
	var errs []error
	for _, attr := range body.Attributes {
		field := prefix + attr.Name
		ptr, ok := settings[field]
		if !ok {
			errs = append(errs, &Error{Range: attr.NameRange, Field: field, Err: fmt.Errorf("%w: attribute %q", ErrUnknown, field)})
			continue
		}
		pos[field] = attr.SrcRange
		val, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			errs = append(errs, diagErrors(diags, field)...)
			continue
		}
		if err := store(ptr, val); err != nil {
			errs = append(errs, &Error{Range: attr.SrcRange, Field: field, Value: describe(val), Err: err})
		}
	}
	return errs
}

// store converts val into the type ptr points to.
func store(ptr any, val cty.Value) error {
	if val.IsNull() || !val.IsWhollyKnown() {
		return fmt.Errorf("%w: must not be null", ErrType)
	}
	switch p := ptr.(type) {
	case *string:
		if val.Type() != cty.String {
			return fmt.Errorf("%w: must be a string", ErrType)
		}
		*p = val.AsString()
	case *int:
		n, ok := wholeNumber(val)
		if !ok {
			return fmt.Errorf("%w: must be a whole number", ErrType)
		}
		*p = n
	case *[]string:
		l, ok := stringList(val)
		if !ok {
			return fmt.Errorf("%w: must be a list of strings", ErrType)
		}
		*p = l
	case *bool:
		if val.Type() != cty.Bool {
			return fmt.Errorf("%w: must be true or false", ErrType)
		}
		*p = val.True()
	case *time.Duration:
		if val.Type() != cty.String {
			return fmt.Errorf("%w: must be a duration string like \"15s\"", ErrType)
		}
		d, err := time.ParseDuration(val.AsString())
		if err != nil {
			return ErrDuration
		}
		*p = d
	case *os.FileMode:
		if val.Type() != cty.String {
			return fmt.Errorf("%w: must be a string", ErrType)
		}
		m, err := strconv.ParseUint(val.AsString(), 8, 32)
		if err != nil {
			return ErrMode
		}
		*p = os.FileMode(m)
	default:
		panic(fmt.Sprintf("config: no decoder for %T", ptr))
	}
	return nil
}

func wholeNumber(val cty.Value) (int, bool) {
	if val.Type() != cty.Number {
		return 0, false
	}
	bf := val.AsBigFloat()
	if !bf.IsInt() {
		return 0, false
	}
	i, acc := bf.Int64()
	if acc != big.Exact || i < -1<<31 || i > 1<<31-1 {
		return 0, false
	}
	return int(i), true
}

func stringList(val cty.Value) ([]string, bool) {
	t := val.Type()
	if !t.IsListType() && !t.IsTupleType() {
		return nil, false
	}
	out := make([]string, 0, val.LengthInt())
	for it := val.ElementIterator(); it.Next(); {
		_, v := it.Element()
		if v.IsNull() || v.Type() != cty.String {
			return nil, false
		}
		out = append(out, v.AsString())
	}
	return out, true
}

// describe renders val roughly as HCL would write it, for error messages.
func describe(val cty.Value) string {
	switch {
	case val.IsNull():
		return "null"
	case !val.IsWhollyKnown():
		return "(unknown)"
	case val.Type() == cty.String:
		return strconv.Quote(val.AsString())
	case val.Type() == cty.Number:
		return val.AsBigFloat().Text('g', -1)
	case val.Type() == cty.Bool:
		return strconv.FormatBool(val.True())
	case val.CanIterateElements():
		var parts []string
		for it := val.ElementIterator(); it.Next(); {
			_, v := it.Element()
			parts = append(parts, describe(v))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return val.Type().FriendlyName()
}

// sortErrors orders *Errors by position so that output is stable.
func sortErrors(errs []error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := rangeOf(errs[i]), rangeOf(errs[j])
		return a.Start.Byte < b.Start.Byte
	})
}

func rangeOf(err error) hcl.Range {
	var e *Error
	if errors.As(err, &e) {
		return e.Range
	}
	return hcl.Range{}
}
