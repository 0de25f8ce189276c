// --set and --set-string parsing as Helm 3 does it (helm.sh/helm/v3/pkg/strvals, Apache-2.0,
// ported): keys split on unescaped '.', '[i]' list indexes, a backslash escapes the next
// character in keys and values (`eks\.amazonaws\.com/role-arn` is one key), `{a,b}` lists,
// ',' separates assignments, and --set values are typed by typedSetValue: true/false/null in
// any case, int64 for decimal integers without a leading zero, strings otherwise. Errors carry
// Helm's wording. The chart tests compare the result with real helm's for a table of inputs.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// As in strvals: limits on list indexes and key nesting.
const (
	setMaxIndex           = 65536
	setMaxNestedNameLevel = 30
)

var errNotList = errors.New("not a list")

// typedSetValue is strvals.typedVal for --set (not --set-string).
func typedSetValue(val string) interface{} {
	switch {
	case strings.EqualFold(val, "true"):
		return true
	case strings.EqualFold(val, "false"):
		return false
	case strings.EqualFold(val, "null"):
		return nil
	case val == "0":
		return int64(0)
	}
	if len(val) != 0 && val[0] != '0' {
		if iv, err := strconv.ParseInt(val, 10, 64); err == nil {
			return iv
		}
	}
	return val
}

type setParser struct {
	sc       *bytes.Buffer
	asString bool
}

// applySet parses one --set (or --set-string when asString) argument into vals.
func applySet(vals map[string]interface{}, arg string, asString bool) error {
	p := &setParser{sc: bytes.NewBufferString(arg), asString: asString}
	for {
		err := p.key(vals, 0)
		if err == nil {
			continue
		}
		if err == io.EOF {
			return nil
		}
		flag := "--set"
		if asString {
			flag = "--set-string"
		}
		return fmt.Errorf("failed parsing %s data: %v", flag, err)
	}
}

func (p *setParser) typed(rs []rune) interface{} {
	if p.asString {
		return string(rs)
	}
	return typedSetValue(string(rs))
}

func stopSet(rs ...rune) map[rune]bool {
	m := make(map[rune]bool, len(rs))
	for _, r := range rs {
		m[r] = true
	}
	return m
}

// runesUntil reads up to (not including) a stop rune; a backslash takes the next rune as is.
func runesUntil(in io.RuneReader, stop map[rune]bool) ([]rune, rune, error) {
	v := []rune{}
	for {
		r, _, e := in.ReadRune()
		switch {
		case e != nil:
			return v, r, e
		case stop[r]:
			return v, r, nil
		case r == '\\':
			next, _, e := in.ReadRune()
			if e != nil {
				return v, next, e
			}
			v = append(v, next)
		default:
			v = append(v, r)
		}
	}
}

func setKey(data map[string]interface{}, key string, val interface{}) {
	if key != "" {
		data[key] = val
	}
}

func (p *setParser) key(data map[string]interface{}, nested int) (reterr error) {
	// strvals turns a type clash (a.b=1 after a=1) into a recovered panic; so do we.
	defer func() {
		if r := recover(); r != nil {
			reterr = fmt.Errorf("unable to parse key: %v", r)
		}
	}()
	k, last, err := runesUntil(p.sc, stopSet('=', '[', ',', '.'))
	switch {
	case err != nil:
		if len(k) == 0 {
			return err
		}
		return fmt.Errorf("key %q has no value", string(k))
	case last == '[':
		i, err := p.keyIndex()
		if err != nil {
			return fmt.Errorf("error parsing index: %v", err)
		}
		kk := string(k)
		list := []interface{}{}
		if _, ok := data[kk]; ok {
			list = data[kk].([]interface{})
		}
		list, err = p.listItem(list, i, nested)
		setKey(data, kk, list)
		return err
	case last == '=':
		vl, e := p.valList()
		switch e {
		case nil:
			setKey(data, string(k), vl)
			return nil
		case io.EOF:
			setKey(data, string(k), "")
			return e
		case errNotList:
			// strvals returns the reader's error here, not val()'s io.EOF: a[0].b=1 at the end
			// of the argument must still set a[0] in listItem.
			rs, e := p.val()
			if e != nil && e != io.EOF {
				return e
			}
			setKey(data, string(k), p.typed(rs))
			return nil
		default:
			return e
		}
	case last == ',':
		setKey(data, string(k), "")
		return fmt.Errorf("key %q has no value (cannot end with ,)", string(k))
	default: // '.'
		nested++
		if nested > setMaxNestedNameLevel {
			return fmt.Errorf("value name nested level is greater than maximum supported nested level of %d", setMaxNestedNameLevel)
		}
		inner := map[string]interface{}{}
		if _, ok := data[string(k)]; ok {
			inner = data[string(k)].(map[string]interface{})
		}
		e := p.key(inner, nested)
		if e == nil && len(inner) == 0 {
			return fmt.Errorf("key map %q has no value", string(k))
		}
		if len(inner) != 0 {
			setKey(data, string(k), inner)
		}
		return e
	}
}

func setIndex(list []interface{}, index int, val interface{}) ([]interface{}, error) {
	if index < 0 {
		return list, fmt.Errorf("negative %d index not allowed", index)
	}
	if index > setMaxIndex {
		return list, fmt.Errorf("index of %d is greater than maximum supported index of %d", index, setMaxIndex)
	}
	if len(list) <= index {
		grown := make([]interface{}, index+1)
		copy(grown, list)
		list = grown
	}
	list[index] = val
	return list, nil
}

func (p *setParser) keyIndex() (int, error) {
	v, _, err := runesUntil(p.sc, stopSet(']'))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

func (p *setParser) listItem(list []interface{}, i, nested int) ([]interface{}, error) {
	if i < 0 {
		return list, fmt.Errorf("negative %d index not allowed", i)
	}
	k, last, err := runesUntil(p.sc, stopSet('[', '.', '='))
	switch {
	case len(k) > 0:
		return list, fmt.Errorf("unexpected data at end of array index: %q", string(k))
	case err != nil:
		return list, err
	case last == '=':
		vl, e := p.valList()
		switch e {
		case nil:
			return setIndex(list, i, vl)
		case io.EOF:
			return setIndex(list, i, "")
		case errNotList:
			rs, e := p.val()
			if e != nil && e != io.EOF {
				return list, e
			}
			return setIndex(list, i, p.typed(rs))
		default:
			return list, e
		}
	case last == '[':
		next, err := p.keyIndex()
		if err != nil {
			return list, fmt.Errorf("error parsing index: %v", err)
		}
		var cur []interface{}
		if len(list) > i && list[i] != nil {
			cur = list[i].([]interface{})
		}
		inner, err := p.listItem(cur, next, nested)
		if err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	case last == '.':
		inner := map[string]interface{}{}
		if len(list) > i {
			if m, ok := list[i].(map[string]interface{}); ok {
				inner = m
			} else {
				list[i] = inner
			}
		}
		if e := p.key(inner, nested); e != nil {
			return list, e
		}
		return setIndex(list, i, inner)
	default:
		return nil, fmt.Errorf("parse error: unexpected token %v", last)
	}
}

func (p *setParser) val() ([]rune, error) {
	v, _, err := runesUntil(p.sc, stopSet(','))
	return v, err
}

func (p *setParser) valList() ([]interface{}, error) {
	r, _, e := p.sc.ReadRune()
	if e != nil {
		return []interface{}{}, e
	}
	if r != '{' {
		p.sc.UnreadRune()
		return []interface{}{}, errNotList
	}
	list := []interface{}{}
	for {
		rs, last, err := runesUntil(p.sc, stopSet(',', '}'))
		switch {
		case err != nil:
			if err == io.EOF {
				err = errors.New("list must terminate with '}'")
			}
			return list, err
		case last == '}':
			if r, _, e := p.sc.ReadRune(); e == nil && r != ',' {
				p.sc.UnreadRune()
			}
			return append(list, p.typed(rs)), nil
		default: // ','
			list = append(list, p.typed(rs))
		}
	}
}
