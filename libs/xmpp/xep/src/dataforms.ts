// XEP-0004: Data Forms (`jabber:x:data`) — forms, submissions and their fields, with
// XEP-0122 `<validate/>` on fields (datatype and open lists) as XEP-0313 needs it.
// `<reported/>`/`<item/>` (multi-item results) are not decoded.
import { StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { expectElement, kid, kids } from './util';

/** `jabber:x:data`. */
export const NS_DATA_FORMS = 'jabber:x:data';
/** XEP-0122 `http://jabber.org/protocol/xdata-validate`. */
export const NS_DATA_VALIDATE = 'http://jabber.org/protocol/xdata-validate';

/** XEP-0004 §3.3 form types. */
export type DataFormType = 'form' | 'submit' | 'cancel' | 'result';
const FORM_TYPES: readonly DataFormType[] = ['form', 'submit', 'cancel', 'result'];

/** XEP-0004 §3.3 field types. */
export type DataFieldType =
  | 'boolean'
  | 'fixed'
  | 'hidden'
  | 'jid-multi'
  | 'jid-single'
  | 'list-multi'
  | 'list-single'
  | 'text-multi'
  | 'text-private'
  | 'text-single';
const FIELD_TYPES: readonly DataFieldType[] = [
  'boolean',
  'fixed',
  'hidden',
  'jid-multi',
  'jid-single',
  'list-multi',
  'list-single',
  'text-multi',
  'text-private',
  'text-single',
];

/** One `<field/>`. */
export interface DataField {
  /** The field's `var` (absent only for `fixed` fields). */
  var?: string;
  /** The field's `type`; absent means `text-single` (XEP-0004 §3.3). */
  type?: DataFieldType;
  label?: string;
  desc?: string;
  required?: boolean;
  /** The `<value/>` texts, in order. */
  values: string[];
  /** `<option/>`s of list fields. */
  options?: Array<{ label?: string; value: string }>;
  /** XEP-0122 `<validate/>`: the datatype and whether a list field accepts values beyond its options. */
  validate?: { datatype?: string; open?: boolean };
}

/** One `<x xmlns='jabber:x:data'/>`. */
export interface DataForm {
  type: DataFormType;
  title?: string;
  instructions?: string[];
  fields: DataField[];
}

function fieldFromElement(f: Element): DataField {
  const type = f.attrs.type as DataFieldType | undefined;
  if (type !== undefined && !FIELD_TYPES.includes(type)) throw StanzaError.badRequest(`unknown data form field type '${type}'`);
  const field: DataField = { values: kids(f, NS_DATA_FORMS, 'value').map((v) => v.text()) };
  if (f.attrs.var !== undefined) field.var = f.attrs.var;
  if (type !== undefined) field.type = type;
  if (f.attrs.label !== undefined) field.label = f.attrs.label;
  const desc = kid(f, NS_DATA_FORMS, 'desc');
  if (desc) field.desc = desc.text();
  if (kid(f, NS_DATA_FORMS, 'required')) field.required = true;
  const options = kids(f, NS_DATA_FORMS, 'option');
  if (options.length)
    field.options = options.map((o) => {
      const opt: { label?: string; value: string } = { value: kid(o, NS_DATA_FORMS, 'value')?.text() ?? '' };
      if (o.attrs.label !== undefined) opt.label = o.attrs.label;
      return opt;
    });
  const validate = kid(f, NS_DATA_FORMS, 'validate', NS_DATA_VALIDATE);
  if (validate) {
    field.validate = {};
    if (validate.attrs.datatype !== undefined) field.validate.datatype = validate.attrs.datatype;
    if (kid(validate, NS_DATA_VALIDATE, 'open')) field.validate.open = true;
  }
  if (field.var === undefined && type !== 'fixed') throw StanzaError.badRequest('a data form field lacks var');
  return field;
}

function fieldToElement(f: DataField): Element {
  return x(
    'field',
    { var: f.var, type: f.type, label: f.label },
    f.desc !== undefined ? x('desc', null, f.desc) : undefined,
    f.required ? x('required') : undefined,
    f.validate
      ? x('validate', { xmlns: NS_DATA_VALIDATE, datatype: f.validate.datatype }, f.validate.open ? x('open') : undefined)
      : undefined,
    ...f.values.map((v) => x('value', null, v)),
    ...(f.options ?? []).map((o) => x('option', { label: o.label }, x('value', null, o.value))),
  );
}

/** Codec of `<x xmlns='jabber:x:data'/>`. */
export const dataForm = {
  /** Decodes a form; throws bad-request for an unknown form/field type or a field without var. */
  fromElement(el: Element): DataForm {
    expectElement(el, 'x', NS_DATA_FORMS);
    const type = (el.attrs.type ?? '') as DataFormType;
    if (!FORM_TYPES.includes(type)) throw StanzaError.badRequest(`data form type must be one of ${FORM_TYPES.join(', ')}`);
    const form: DataForm = { type, fields: kids(el, NS_DATA_FORMS, 'field').map(fieldFromElement) };
    const title = kid(el, NS_DATA_FORMS, 'title');
    if (title) form.title = title.text();
    const instructions = kids(el, NS_DATA_FORMS, 'instructions');
    if (instructions.length) form.instructions = instructions.map((i) => i.text());
    return form;
  },

  /** Encodes a form (with `xmlns`, ready to append anywhere). */
  toElement(form: DataForm): Element {
    return x(
      'x',
      { xmlns: NS_DATA_FORMS, type: form.type },
      form.title !== undefined ? x('title', null, form.title) : undefined,
      ...(form.instructions ?? []).map((i) => x('instructions', null, i)),
      ...form.fields.map(fieldToElement),
    );
  },

  /** The value of the hidden FORM_TYPE field (XEP-0068), if any. */
  formType(form: DataForm): string | undefined {
    return dataForm.field(form, 'FORM_TYPE')?.values[0];
  },

  /** The first field named `name`. */
  field(form: DataForm, name: string): DataField | undefined {
    return form.fields.find((f) => f.var === name);
  },
};

/** XEP-0004 §3.3 boolean: `1`/`true` or `0`/`false`; anything else is undefined. */
export function dataFormBoolean(value: string | undefined): boolean | undefined {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return undefined;
}
