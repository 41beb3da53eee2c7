/** A few inline icons (no icon font, no emoji font needed). Always next to text; never the only signal. */
export type IconName = 'clock' | 'spinner' | 'check' | 'cross' | 'warning' | 'slash' | 'info' | 'upload' | 'download' | 'plus' | 'minus' | 'edit' | 'trash';

const PATHS: Record<IconName, string> = {
  clock: 'M8 1.5a6.5 6.5 0 100 13 6.5 6.5 0 000-13zM8 4v4.3l2.8 1.7',
  spinner: 'M8 1.5a6.5 6.5 0 106.5 6.5',
  check: 'M8 1.5a6.5 6.5 0 100 13 6.5 6.5 0 000-13zM5 8.2l2 2 4-4.4',
  cross: 'M8 1.5a6.5 6.5 0 100 13 6.5 6.5 0 000-13zM5.7 5.7l4.6 4.6M10.3 5.7l-4.6 4.6',
  warning: 'M8 1.8L1.2 14h13.6zM8 6v4M8 11.8v.4',
  slash: 'M8 1.5a6.5 6.5 0 100 13 6.5 6.5 0 000-13zM3.4 3.4l9.2 9.2',
  info: 'M8 1.5a6.5 6.5 0 100 13 6.5 6.5 0 000-13zM8 7v4.5M8 4.6v.4',
  upload: 'M8 11V2.5M4.5 6L8 2.5 11.5 6M2.5 11v2.5h11V11',
  download: 'M8 2.5V11M4.5 7.5L8 11l3.5-3.5M2.5 11v2.5h11V11',
  plus: 'M8 1.5a6.5 6.5 0 100 13 6.5 6.5 0 000-13zM8 5v6M5 8h6',
  minus: 'M8 1.5a6.5 6.5 0 100 13 6.5 6.5 0 000-13zM5 8h6',
  edit: 'M10.5 2.5l3 3L6 13H3v-3zM9 4l3 3',
  trash: 'M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4M6.8 6.5v4.5M9.2 6.5v4.5',
};

export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg
      className={`icon${name === 'spinner' ? ' icon-spin' : ''}${className ? ` ${className}` : ''}`}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
