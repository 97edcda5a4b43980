import { describe, expect, it } from 'vitest';
import { decodeLabel, encodeLabelKey, encodeLabelValue, labelFilter, originalTags, tagsToLabels } from '../src/labels.js';
import { instanceName, parseId } from '../src/instances.js';
import { machineType as toMachineType } from '../src/properties.js';

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

describe('gcp label encoding', () => {
  it('escapes reversibly what GCE labels cannot hold', () => {
    expect(encodeLabelKey('kadende.group')).toBe('kadende_2egroup');
    expect(encodeLabelValue('group2/sub-group1')).toBe('group2_2fsub-group1');
    expect(encodeLabelValue('Web_1')).toBe('_57eb_5f1');
    for (const text of ['kadende.cluster', 'group2/sub-group1', 'Web_1', 'ünï', '']) {
      expect(decodeLabel(encodeLabelValue(text))).toBe(text);
    }
  });

  it('always yields valid labels, hashing what does not fit, and never maps two texts to one label', () => {
    const texts = ['a', 'A', '_41', 'a'.repeat(63), 'a'.repeat(64), 'x/'.repeat(40), 'x/'.repeat(41), '9lives', '_h00', 'group2/sub-group1'];
    const values = texts.map(encodeLabelValue);
    const keys = texts.map(encodeLabelKey);
    expect(values.every((v) => LABEL_VALUE.test(v))).toBe(true);
    expect(keys.every((k) => LABEL_KEY.test(k))).toBe(true);
    expect(new Set(values).size).toBe(texts.length);
    expect(new Set(keys).size).toBe(texts.length);
    expect(decodeLabel(encodeLabelValue('x/'.repeat(40)))).toBeUndefined();
  });

  it('builds an AND filter and reads originals from metadata first, labels second', () => {
    expect(labelFilter({ 'kadende.cluster': 'c1', 'kadende.group': 'a/b' })).toBe('(labels.kadende_2ecluster = "c1") (labels.kadende_2egroup = "a_2fb")');
    const tags = { 'kadende.group': 'G/'.repeat(50) };
    expect(originalTags(tagsToLabels(tags), [{ key: 'kadende-tags', value: JSON.stringify(tags) }])).toEqual(tags);
    expect(originalTags({ kadende_2egroup: 'a_2fb', team: 'infra', k_h00: 'x' }, [])).toEqual({ 'kadende.group': 'a/b', team: 'infra' });
  });

  it('maps friendly instance types, names instances by token, and parses ids', () => {
    expect(toMachineType('t2.micro')).toBe('e2-micro');
    expect(toMachineType('t3.large')).toBe('e2-standard-2');
    expect(toMachineType('n2-standard-4')).toBe('n2-standard-4');
    const name = instanceName('token-1', 'group2/Sub_Group1');
    expect(name).toMatch(/^kd-group2-sub-group1-[0-9a-f]{16}$/);
    expect(instanceName('token-1', 'group2/Sub_Group1')).toBe(name);
    expect(instanceName('token-2', 'group2/Sub_Group1')).not.toBe(name);
    expect(instanceName('t', 'x'.repeat(200)).length).toBeLessThanOrEqual(63);
    expect(parseId('europe-west1-b/kd-x', 'us-central1-a')).toEqual({ zone: 'europe-west1-b', name: 'kd-x' });
    expect(parseId('kd-x', 'us-central1-a')).toEqual({ zone: 'us-central1-a', name: 'kd-x' });
  });
});
