package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/bpbench/bpbench/internal/size"
)

// MarshalJSON writes params as a JSON object in run order, followed by
// memlimit and hard_limit in GOMEMLIMIT syntax.
func (r Run) MarshalJSON() ([]byte, error) {
	type plain Run
	ps := slices.Clone(r.Params)
	if r.MemLimit > 0 {
		ps = append(ps, Param{"memlimit", size.Format(r.MemLimit)})
	}
	if r.HardLimit > 0 {
		ps = append(ps, Param{"hard_limit", size.Format(r.HardLimit)})
	}
	return json.Marshal(struct {
		plain
		Params orderedParams `json:"params"`
	}{plain(r), ps})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Run) UnmarshalJSON(data []byte) error {
	type plain Run
	var v struct {
		plain
		Params orderedParams `json:"params"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*r = Run(v.plain)
	r.Params = nil
	for _, p := range v.Params {
		switch p.Key {
		case "memlimit", "hard_limit":
			n, err := size.Parse(p.Value)
			if err != nil {
				return fmt.Errorf("run %s: %s: %w", r.ID, p.Key, err)
			}
			if p.Key == "memlimit" {
				r.MemLimit = n
			} else {
				r.HardLimit = n
			}
		default:
			r.Params = append(r.Params, p)
		}
	}
	return nil
}

// orderedParams is a JSON object of string values that keeps its key
// order; encoding/json's maps would sort it.
type orderedParams []Param

func (ps orderedParams) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	enc := json.NewEncoder(&b)
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(p.Key); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := enc.Encode(p.Value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (ps *orderedParams) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*ps = nil
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("params: want a JSON object")
	}
	*ps = orderedParams{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			s = fmt.Sprint(v)
		}
		*ps = append(*ps, Param{Key: kt.(string), Value: s})
	}
	return nil
}
