import { StanzaError } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { dataForm, dataFormBoolean } from './dataforms';

// After XEP-0004 §9 example 2 (a bot configuration form), trimmed.
const FORM = `
<x xmlns='jabber:x:data' type='form'>
  <title>Bot Configuration</title>
  <instructions>Fill out this form to configure your new bot!</instructions>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='fixed'><value>Section 1: Bot Info</value></field>
  <field type='text-single' label='The name of your bot' var='botname'/>
  <field type='text-multi' label='Helpful description of your bot' var='description'/>
  <field type='boolean' label='Public bot?' var='public'><required/></field>
  <field type='list-multi' label='What features will the bot support?' var='features'>
    <option label='Contests'><value>contests</value></option>
    <option label='News'><value>news</value></option>
    <value>news</value>
    <value>search</value>
  </field>
  <field type='jid-multi' label='People to invite' var='invitelist'><desc>Tell all your friends about your new bot!</desc></field>
</x>`;

// After XEP-0004 §9 example 3 (the submission).
const SUBMIT = `
<x xmlns='jabber:x:data' type='submit'>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='text-single' var='botname'><value>The Jabber Google Bot</value></field>
  <field type='boolean' var='public'><value>0</value></field>
  <field type='list-multi' var='features'><value>news</value><value>search</value></field>
  <field var='untyped'><value>x</value></field>
</x>`;

describe('XEP-0004 data forms', () => {
  it('decodes a form with its title, instructions, field types, options and required flags', () => {
    const f = dataForm.fromElement(parseXml(FORM));
    expect(f.type).toBe('form');
    expect(f.title).toBe('Bot Configuration');
    expect(f.instructions).toEqual(['Fill out this form to configure your new bot!']);
    expect(dataForm.formType(f)).toBe('jabber:bot');
    expect(f.fields[1]).toEqual({ type: 'fixed', values: ['Section 1: Bot Info'] });
    expect(dataForm.field(f, 'public')).toEqual({ var: 'public', type: 'boolean', label: 'Public bot?', required: true, values: [] });
    expect(dataForm.field(f, 'features')).toEqual({
      var: 'features',
      type: 'list-multi',
      label: 'What features will the bot support?',
      values: ['news', 'search'],
      options: [
        { label: 'Contests', value: 'contests' },
        { label: 'News', value: 'news' },
      ],
    });
    expect(dataForm.field(f, 'invitelist')?.desc).toBe('Tell all your friends about your new bot!');
  });

  it('decodes a submission, an untyped field being text-single by default', () => {
    const f = dataForm.fromElement(parseXml(SUBMIT));
    expect(f.type).toBe('submit');
    expect(dataForm.field(f, 'botname')?.values).toEqual(['The Jabber Google Bot']);
    expect(dataFormBoolean(dataForm.field(f, 'public')?.values[0])).toBe(false);
    expect(dataForm.field(f, 'untyped')).toEqual({ var: 'untyped', values: ['x'] });
  });

  it('round-trips through toElement', () => {
    for (const xml of [FORM, SUBMIT]) {
      const f = dataForm.fromElement(parseXml(xml));
      expect(dataForm.fromElement(parseXml(dataForm.toElement(f).toString()))).toEqual(f);
    }
  });

  it('keeps XEP-0122 validate (datatype, open list)', () => {
    const f = dataForm.fromElement(
      parseXml(
        `<x xmlns='jabber:x:data' type='form'><field type='list-multi' var='ids'><validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:string'><open/></validate></field></x>`,
      ),
    );
    expect(f.fields[0].validate).toEqual({ datatype: 'xs:string', open: true });
    expect(dataForm.toElement(f).toString()).toContain(`<validate xmlns="http://jabber.org/protocol/xdata-validate" datatype="xs:string"><open/></validate>`);
  });

  it.each([
    [`<x xmlns='jabber:x:data' type='bogus'/>`, /form type/],
    [`<x xmlns='jabber:x:data'/>`, /form type/],
    [`<x xmlns='jabber:x:data' type='submit'><field type='text-dual' var='a'/></x>`, /field type/],
    [`<x xmlns='jabber:x:data' type='submit'><field type='text-single'/></x>`, /lacks var/],
    [`<x xmlns='jabber:x:oob' type='submit'/>`, /expected/],
  ])('refuses %s with bad-request', (xml, text) => {
    let err: unknown;
    try {
      dataForm.fromElement(parseXml(xml));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StanzaError);
    expect((err as StanzaError).condition).toBe('bad-request');
    expect((err as StanzaError).message).toMatch(text);
  });

  it('reads booleans as XEP-0004 spells them', () => {
    expect([dataFormBoolean('1'), dataFormBoolean('true'), dataFormBoolean('0'), dataFormBoolean('false'), dataFormBoolean('yes'), dataFormBoolean(undefined)]).toEqual([
      true,
      true,
      false,
      false,
      undefined,
      undefined,
    ]);
  });
});
