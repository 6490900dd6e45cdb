package format

import "reflect"

// each calls fn for every element of a slice, or once for a single value.
func each(items any, fn func(any) error) error {
	v := reflect.ValueOf(items)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return fn(items)
	}
	for i := 0; i < v.Len(); i++ {
		if err := fn(v.Index(i).Interface()); err != nil {
			return err
		}
	}
	return nil
}
