// Who a provider is: every profile is public and names its provider; a
// provider without a profile is named only to whoever may read it.

import { all } from './api.js';

export async function providers() {
  const [profiles, participants] = await Promise.all([
    all('/provider-profiles').catch(() => []),
    all('/participants').catch(() => []),
  ]);
  const profileOf = new Map(profiles.map((p) => [p.participantId, p]));
  const nameOf = new Map(participants.map((p) => [p.id, p.name]));
  return {
    profiles,
    profileOf: (id) => profileOf.get(id),
    label(id) {
      const profile = profileOf.get(id);
      const name = nameOf.get(id) || profile?.participantName;
      if (name) return profile ? `${name} (${profile.jurisdiction})` : name;
      return `Provider ${id}`;
    },
    // Certifications still valid today.
    certifications(id) {
      const profile = profileOf.get(id);
      const now = Date.now();
      return profile ? profile.certifications.filter((c) => new Date(c.expiresAt).getTime() > now).map((c) => c.kind) : [];
    },
  };
}
