import { packageConfig } from '../../vitest.shared.ts';

export default packageConfig('nexus-adapter-openclaw-sqlite');
