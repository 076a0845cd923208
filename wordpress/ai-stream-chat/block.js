/*
 * The "AI Stream Chat" block in the editor, without a build step: the same attributes as the
 * [ai_stream_chat] shortcode, edited in the sidebar; the page shows the element that the
 * plugin's PHP renders (a dynamic block, so nothing is saved but the attributes).
 */
((blocks, element, blockEditor, components) => {
  const el = element.createElement;
  const fields = [
    ['heading', 'Heading'],
    ['placeholder', 'Placeholder'],
    ['welcome_message', 'Welcome message'],
    ['lang', 'Language (e.g. en, de, ar)'],
    ['params', 'Model parameters (JSON)'],
  ];
  const choices = {
    theme: ['', 'light', 'dark', 'auto'],
    mode: ['', 'inline', 'floating'],
    persist: ['', 'local', 'session', 'none'],
  };
  blocks.registerBlockType('ai-stream-chat/chat', {
    apiVersion: 2,
    title: 'AI Stream Chat',
    category: 'widgets',
    icon: 'format-chat',
    edit: (props) => {
      const a = props.attributes;
      const set = (name) => (value) => {
        const change = {};
        change[name] = value;
        props.setAttributes(change);
      };
      const controls = fields.map((f) =>
        el(components.TextControl, { key: f[0], label: f[1], value: a[f[0]], onChange: set(f[0]) }),
      );
      Object.keys(choices).forEach((name) => {
        controls.push(
          el(components.SelectControl, {
            key: name,
            label: name.charAt(0).toUpperCase() + name.slice(1),
            value: a[name],
            options: choices[name].map((v) => ({ value: v, label: v === '' ? '(default)' : v })),
            onChange: set(name),
          }),
        );
      });
      return el(
        'div',
        blockEditor.useBlockProps(),
        el(blockEditor.InspectorControls, null, el(components.PanelBody, { title: 'Chat' }, controls)),
        el('p', null, `AI Stream Chat${a.heading ? `: ${a.heading}` : ''} (shown on the page)`),
      );
    },
    save: () => null,
  });
})(window.wp.blocks, window.wp.element, window.wp.blockEditor, window.wp.components);
